using System.Text;
using KvmStor.Engine;
using KvmStor.Model;

namespace KvmStor.Cli.Output;

/// <summary>pool-info and pool-list texts, exactly as virsh lays them out.</summary>
public static class PoolFormatting
{
    /// <summary>Capacity figures exist only for pools whose storage is reachable.</summary>
    public static bool HasSizes(PoolInfo pool) => pool.State is PoolState.Running or PoolState.Degraded;

    private static string YesNo(bool value) => value ? "yes" : "no";

    /// <summary>pool-info: "%-15s %s" lines; sizes pretty-printed or, with --bytes, raw.</summary>
    public static string Info(PoolInfo pool, bool bytes)
    {
        var text = new StringBuilder();
        Line("Name:", pool.Name);
        Line("UUID:", pool.Uuid.ToString());
        Line("State:", pool.State.ToDisplay());
        Line("Persistent:", YesNo(pool.Persistent));
        Line("Autostart:", YesNo(pool.Autostart));
        if (HasSizes(pool))
        {
            Line("Capacity:", Size(pool.Capacity));
            Line("Allocation:", Size(pool.Allocation));
            Line("Available:", Size(pool.Available));
        }
        return text.ToString();

        string Size(ulong value) => bytes ? value.ToString(System.Globalization.CultureInfo.InvariantCulture) : ScaledInteger.Format(value);
        void Line(string label, string value) => text.Append(label.PadRight(15)).Append(' ').Append(value).Append('\n');
    }

    /// <summary>pool-list's default table: Name, State (active/inactive), Autostart.</summary>
    public static string Table(IEnumerable<PoolInfo> pools)
    {
        var table = new VirshTable("Name", "State", "Autostart");
        foreach (var pool in pools)
            table.AddRow(pool.Name, pool.Active ? "active" : "inactive", YesNo(pool.Autostart));
        return table.Render();
    }

    /// <summary>pool-list --details: the state by name and sizes for running pools ("-" otherwise).</summary>
    public static string DetailsTable(IEnumerable<PoolInfo> pools)
    {
        var table = new VirshTable("Name", "State", "Autostart", "Persistent", "Capacity", "Allocation", "Available");
        foreach (var pool in pools)
        {
            bool sized = HasSizes(pool);
            table.AddRow(pool.Name, pool.State.ToDisplay(), YesNo(pool.Autostart), YesNo(pool.Persistent),
                sized ? ScaledInteger.Format(pool.Capacity) : "-",
                sized ? ScaledInteger.Format(pool.Allocation) : "-",
                sized ? ScaledInteger.Format(pool.Available) : "-");
        }
        return table.Render();
    }

    /// <summary>pool-list --uuid / --name / both: "%-36s" then a newline or a space, "%-20s" and a newline.</summary>
    public static string UuidsAndNames(IEnumerable<PoolInfo> pools, bool uuid, bool name)
    {
        var text = new StringBuilder();
        foreach (var pool in pools)
        {
            if (uuid) text.Append(pool.Uuid.ToString().PadRight(36)).Append(name ? ' ' : '\n');
            if (name) text.Append(pool.Name.PadRight(20)).Append('\n');
        }
        return text.ToString();
    }
}
