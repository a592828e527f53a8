using System.Globalization;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// The adapter names libvirt accepts for one SCSI host: "scsi_hostN" (the node-device name), "fc_hostN" and the
/// older "hostN" all mean host number N.
/// </summary>
public static class ScsiHostName
{
    private static readonly string[] Prefixes = ["scsi_host", "fc_host", "host"];

    public static bool TryParse(string name, out uint number)
    {
        number = 0;
        foreach (var prefix in Prefixes)
            if (name.StartsWith(prefix, StringComparison.Ordinal))
                return IsDigits(name.AsSpan(prefix.Length))
                       && uint.TryParse(name.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out number);
        return false;
    }

    /// <summary>The host number, or libvirt's error for a name that is none of the accepted forms.</summary>
    public static uint Parse(string name) =>
        TryParse(name, out uint number) ? number : throw StorageException.Internal($"Invalid adapter name '{name}' for SCSI pool");

    /// <summary>The sysfs directory name of host N ("hostN").</summary>
    public static string Directory(uint number) => "host" + number.ToString(CultureInfo.InvariantCulture);

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        if (s.IsEmpty) return false;
        foreach (char c in s) if (!char.IsAsciiDigit(c)) return false;
        return true;
    }
}
