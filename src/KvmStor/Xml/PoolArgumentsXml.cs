using System.Text;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>
/// The XML virsh builds from command-line options, in virshBuildPoolXML's layout. Unlike virsh, values are
/// escaped: a name or path holding &amp; or &lt; gives a valid definition instead of malformed XML.
/// </summary>
public static class PoolArgumentsXml
{
    private static string E(string? value) => XmlOut.Escape(value ?? "");

    /// <summary>The pool document of pool-define-as / pool-create-as (ends in "&lt;/pool&gt;\n").</summary>
    public static string BuildPool(PoolArguments a)
    {
        var sb = new StringBuilder();
        sb.Append("<pool type='").Append(E(a.Type)).Append("'>\n");
        sb.Append("  <name>").Append(E(a.Name)).Append("</name>\n");

        bool fcHost = a.AdapterWwnn is not null && a.AdapterWwpn is not null;
        if (a.SourceHost is not null || a.SourcePath is not null || a.SourceDev is not null || a.SourceInitiator is not null ||
            a.SourceFormat is not null || a.SourceName is not null || fcHost || a.AdapterName is not null)
        {
            sb.Append("  <source>\n");
            if (a.SourceHost is not null) sb.Append("    <host name='").Append(E(a.SourceHost)).Append("'/>\n");
            if (a.SourcePath is not null) sb.Append("    <dir path='").Append(E(a.SourcePath)).Append("'/>\n");
            if (a.SourceDev is not null) sb.Append("    <device path='").Append(E(a.SourceDev)).Append("'/>\n");
            if (a.SourceInitiator is not null)
                sb.Append("    <initiator>\n      <iqn name='").Append(E(a.SourceInitiator)).Append("'/>\n    </initiator>\n");
            if (fcHost)
            {
                sb.Append("    <adapter type='fc_host'");
                if (a.AdapterParent is not null)
                    sb.Append(" parent='").Append(E(a.AdapterParent)).Append('\'');
                else if (a.AdapterParentWwnn is not null && a.AdapterParentWwpn is not null)
                    sb.Append(" parent_wwnn='").Append(E(a.AdapterParentWwnn)).Append("' parent_wwpn='").Append(E(a.AdapterParentWwpn)).Append('\'');
                else if (a.AdapterParentFabricWwn is not null)
                    sb.Append(" parent_fabric_wwn='").Append(E(a.AdapterParentFabricWwn)).Append('\'');
                sb.Append(" wwnn='").Append(E(a.AdapterWwnn)).Append("' wwpn='").Append(E(a.AdapterWwpn)).Append("'/>\n");
            }
            else if (a.AdapterName is not null)
            {
                sb.Append("    <adapter type='scsi_host' name='").Append(E(a.AdapterName)).Append("'/>\n");
            }
            if (a.AuthType is not null && a.AuthUsername is not null && (a.SecretUsage is not null || a.SecretUuid is not null))
            {
                sb.Append("    <auth type='").Append(E(a.AuthType)).Append("' username='").Append(E(a.AuthUsername)).Append("'>\n");
                if (a.SecretUsage is not null) sb.Append("      <secret usage='").Append(E(a.SecretUsage)).Append("'/>\n");
                else sb.Append("      <secret uuid='").Append(E(a.SecretUuid)).Append("'/>\n");
                sb.Append("    </auth>\n");
            }
            if (a.SourceFormat is not null) sb.Append("    <format type='").Append(E(a.SourceFormat)).Append("'/>\n");
            if (a.SourceName is not null) sb.Append("    <name>").Append(E(a.SourceName)).Append("</name>\n");
            if (a.SourceProtocolVer is not null) sb.Append("    <protocol ver='").Append(E(a.SourceProtocolVer)).Append("'/>\n");
            sb.Append("  </source>\n");
        }

        if (a.Target is not null)
            sb.Append("  <target>\n    <path>").Append(E(a.Target)).Append("</path>\n  </target>\n");
        sb.Append("</pool>\n");
        return sb.ToString();
    }

    /// <summary>
    /// The &lt;source&gt; spec find-storage-pool-sources-as sends; null without --host (virsh then sends none).
    /// </summary>
    public static string? BuildSourceSpec(PoolSourceQuery q)
    {
        if (q.Host is null) return null;
        var sb = new StringBuilder();
        sb.Append("<source>\n  <host name='").Append(E(q.Host)).Append('\'');
        if (q.Port is not null) sb.Append(" port='").Append(E(q.Port)).Append('\'');
        sb.Append("/>\n");
        if (q.Initiator is not null)
            sb.Append("  <initiator>\n    <iqn name='").Append(E(q.Initiator)).Append("'/>\n  </initiator>\n");
        sb.Append("</source>\n");
        return sb.ToString();
    }
}
