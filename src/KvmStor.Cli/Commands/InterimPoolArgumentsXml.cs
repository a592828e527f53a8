using System.Text;

namespace KvmStor.Cli.Commands;

/// <summary>
/// INTERIM, to be replaced by KvmStor.Xml.PoolArgumentsXml at integration (see <see cref="PoolArgumentsXmlCall"/>):
/// the pool document virsh's pool-define-as builds from its options, element for element (spec §1.3).
/// Unlike virsh, values are XML-escaped so that odd characters cannot break the document.
/// </summary>
internal static class InterimPoolArgumentsXml
{
    public static string Build(PoolArguments a)
    {
        var xml = new StringBuilder();
        xml.Append($"<pool type='{E(a.Type)}'>\n");
        xml.Append($"  <name>{E(a.Name)}</name>\n");
        bool fcAdapter = a.AdapterWwnn is not null && a.AdapterWwpn is not null;
        if (a.SourceHost is not null || a.SourcePath is not null || a.SourceDev is not null || a.SourceInitiator is not null
            || a.SourceFormat is not null || a.SourceName is not null || fcAdapter || a.AdapterName is not null)
        {
            xml.Append("  <source>\n");
            if (a.SourceHost is not null) xml.Append($"    <host name='{E(a.SourceHost)}'/>\n");
            if (a.SourcePath is not null) xml.Append($"    <dir path='{E(a.SourcePath)}'/>\n");
            if (a.SourceDev is not null) xml.Append($"    <device path='{E(a.SourceDev)}'/>\n");
            if (a.SourceInitiator is not null)
                xml.Append($"    <initiator>\n      <iqn name='{E(a.SourceInitiator)}'/>\n    </initiator>\n");
            if (fcAdapter)
            {
                xml.Append("    <adapter type='fc_host'");
                if (a.AdapterParent is not null) xml.Append($" parent='{E(a.AdapterParent)}'");
                else if (a.AdapterParentWwnn is not null && a.AdapterParentWwpn is not null)
                    xml.Append($" parent_wwnn='{E(a.AdapterParentWwnn)}' parent_wwpn='{E(a.AdapterParentWwpn)}'");
                else if (a.AdapterParentFabricWwn is not null) xml.Append($" parent_fabric_wwn='{E(a.AdapterParentFabricWwn)}'");
                xml.Append($" wwnn='{E(a.AdapterWwnn!)}' wwpn='{E(a.AdapterWwpn!)}'/>\n");
            }
            else if (a.AdapterName is not null)
            {
                xml.Append($"    <adapter type='scsi_host' name='{E(a.AdapterName)}'/>\n");
            }
            if (a.AuthType is not null && a.AuthUsername is not null && (a.SecretUsage is not null || a.SecretUuid is not null))
            {
                xml.Append($"    <auth type='{E(a.AuthType)}' username='{E(a.AuthUsername)}'>\n");
                xml.Append(a.SecretUsage is not null
                    ? $"      <secret usage='{E(a.SecretUsage)}'/>\n"
                    : $"      <secret uuid='{E(a.SecretUuid!)}'/>\n");
                xml.Append("    </auth>\n");
            }
            if (a.SourceFormat is not null) xml.Append($"    <format type='{E(a.SourceFormat)}'/>\n");
            if (a.SourceName is not null) xml.Append($"    <name>{E(a.SourceName)}</name>\n");
            if (a.SourceProtocolVersion is not null) xml.Append($"    <protocol ver='{E(a.SourceProtocolVersion)}'/>\n");
            xml.Append("  </source>\n");
        }
        if (a.Target is not null) xml.Append($"  <target>\n    <path>{E(a.Target)}</path>\n  </target>\n");
        xml.Append("</pool>\n");
        return xml.ToString();
    }

    private static string E(string value) => value
        .Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("'", "&apos;");
}
