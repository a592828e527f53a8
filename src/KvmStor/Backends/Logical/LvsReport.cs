namespace KvmStor.Backends.Logical;

/// <summary>
/// Reads lvs output in the '#'-separated form of <see cref="LvmCommands.Lvs"/>. A line is taken when it has the
/// fields libvirt's pattern requires (name, uuid, segment type and attributes non-empty, numeric stripes, extent size
/// and size); other lines are skipped as libvirt skips them. Unlike libvirt, an empty devices field is accepted for
/// thin volumes, which have no devices of their own.
/// </summary>
public static class LvsReport
{
    private const int LibvirtFieldCount = 10;

    public static IReadOnlyList<LvsRow> Parse(string output)
    {
        var rows = new List<LvsRow>();
        foreach (var rawLine in output.Split('\n'))
        {
            string line = rawLine.Trim();
            if (line.Length == 0) continue;
            var f = line.Split('#');
            if (f.Length < LibvirtFieldCount) continue;
            string Field(int i) => i < f.Length ? f[i] : "";
            var row = new LvsRow(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9],
                Field(10), Field(11), Field(12));
            if (IsWellFormed(row)) rows.Add(row);
        }
        return rows;
    }

    private static bool IsWellFormed(LvsRow r) =>
        NoSpace(r.Name) && NoSpace(r.Uuid) && NoSpace(r.SegmentType) && NoSpace(r.Attributes) && NoSpace(r.SegmentSize)
        && (NoSpace(r.Devices) || (r.Devices.Length == 0 && r.SegmentType == "thin"))
        && Digits(r.Stripes) && Digits(r.ExtentSize) && Digits(r.Size)
        && !r.Origin.Any(char.IsWhiteSpace);

    private static bool NoSpace(string s) => s.Length > 0 && !s.Any(char.IsWhiteSpace);

    private static bool Digits(string s) => s.Length > 0 && s.All(char.IsAsciiDigit);
}
