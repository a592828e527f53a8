using System.Text;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>
/// The XML virsh builds from command-line options. Values go in verbatim, unescaped, exactly as virsh's
/// virshBuildPoolXML does: what --print-xml shows is what the definition is parsed from.
/// </summary>
public static class PoolArgumentsXml
{
    /// <summary>The pool document of pool-define-as / pool-create-as (ends in "&lt;/pool&gt;\n").</summary>
    public static string BuildPool(PoolArguments a)
    {
        var sb = new StringBuilder();
        sb.Append("<pool type='").Append(a.Type).Append("'>\n");
        sb.Append("  <name>").Append(a.Name).Append("</name>\n");

        bool fcHost = a.AdapterWwnn is not null && a.AdapterWwpn is not null;
        if (a.SourceHost is not null || a.SourcePath is not null || a.SourceDev is not null || a.SourceInitiator is not null ||
            a.SourceFormat is not null || a.SourceName is not null || fcHost || a.AdapterName is not null)
        {
            sb.Append("  <source>\n");
            if (a.SourceHost is not null) sb.Append("    <host name='").Append(a.SourceHost).Append("'/>\n");
            if (a.SourcePath is not null) sb.Append("    <dir path='").Append(a.SourcePath).Append("'/>\n");
            if (a.SourceDev is not null) sb.Append("    <device path='").Append(a.SourceDev).Append("'/>\n");
            if (a.SourceInitiator is not null)
                sb.Append("    <initiator>\n      <iqn name='").Append(a.SourceInitiator).Append("'/>\n    </initiator>\n");
            if (fcHost)
            {
                sb.Append("    <adapter type='fc_host'");
                if (a.AdapterParent is not null)
                    sb.Append(" parent='").Append(a.AdapterParent).Append('\'');
                else if (a.AdapterParentWwnn is not null && a.AdapterParentWwpn is not null)
                    sb.Append(" parent_wwnn='").Append(a.AdapterParentWwnn).Append("' parent_wwpn='").Append(a.AdapterParentWwpn).Append('\'');
                else if (a.AdapterParentFabricWwn is not null)
                    sb.Append(" parent_fabric_wwn='").Append(a.AdapterParentFabricWwn).Append('\'');
                sb.Append(" wwnn='").Append(a.AdapterWwnn).Append("' wwpn='").Append(a.AdapterWwpn).Append("'/>\n");
            }
            else if (a.AdapterName is not null)
            {
                sb.Append("    <adapter type='scsi_host' name='").Append(a.AdapterName).Append("'/>\n");
            }
            if (a.AuthType is not null && a.AuthUsername is not null && (a.SecretUsage is not null || a.SecretUuid is not null))
            {
                sb.Append("    <auth type='").Append(a.AuthType).Append("' username='").Append(a.AuthUsername).Append("'>\n");
                if (a.SecretUsage is not null) sb.Append("      <secret usage='").Append(a.SecretUsage).Append("'/>\n");
                else sb.Append("      <secret uuid='").Append(a.SecretUuid).Append("'/>\n");
                sb.Append("    </auth>\n");
            }
            if (a.SourceFormat is not null) sb.Append("    <format type='").Append(a.SourceFormat).Append("'/>\n");
            if (a.SourceName is not null) sb.Append("    <name>").Append(a.SourceName).Append("</name>\n");
            if (a.SourceProtocolVer is not null) sb.Append("    <protocol ver='").Append(a.SourceProtocolVer).Append("'/>\n");
            sb.Append("  </source>\n");
        }

        if (a.Target is not null)
            sb.Append("  <target>\n    <path>").Append(a.Target).Append("</path>\n  </target>\n");
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
        sb.Append("<source>\n  <host name='").Append(q.Host).Append('\'');
        if (q.Port is not null) sb.Append(" port='").Append(q.Port).Append('\'');
        sb.Append("/>\n");
        if (q.Initiator is not null)
            sb.Append("  <initiator>\n    <iqn name='").Append(q.Initiator).Append("'/>\n  </initiator>\n");
        sb.Append("</source>\n");
        return sb.ToString();
    }
}
