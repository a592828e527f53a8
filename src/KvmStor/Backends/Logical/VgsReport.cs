using System.Globalization;

namespace KvmStor.Backends.Logical;

/// <summary>Size and free space of a volume group from <see cref="LvmCommands.Vgs"/> ("size:free", maybe a trailing ':').</summary>
public static class VgsReport
{
    public static (ulong Size, ulong Free)? Parse(string output)
    {
        (ulong, ulong)? result = null;
        foreach (var rawLine in output.Split('\n'))
        {
            var f = rawLine.Trim().TrimEnd(':').Split(':');
            if (f.Length != 2 || f[0].Length == 0 || f[0].Any(char.IsWhiteSpace)) continue;
            if (!ulong.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong free)) continue;
            if (!ulong.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong size))
                throw StorageException.Internal($"malformed volume group size value '{f[0]}'");
            result = (size, free); // the last matching line wins, as with libvirt's per-line callback
        }
        return result;
    }
}
