namespace KvmStor.Guests;

/// <summary>Disk target names (vda, sdb, hdc…): the bus each prefix implies and the next free name on a bus.</summary>
public static class DiskTargetNames
{
    /// <summary>The bus libvirt assumes for a target name without an explicit bus.</summary>
    public static string BusForPrefix(string dev) =>
        dev.StartsWith("vd", StringComparison.Ordinal) ? "virtio"
        : dev.StartsWith("sd", StringComparison.Ordinal) ? "scsi"
        : dev.StartsWith("hd", StringComparison.Ordinal) ? "ide"
        : dev.StartsWith("fd", StringComparison.Ordinal) ? "fdc"
        : dev.StartsWith("xvd", StringComparison.Ordinal) ? "xen"
        : dev.StartsWith("ubd", StringComparison.Ordinal) ? "uml"
        : "ide";

    public static string PrefixForBus(string bus) => bus switch
    {
        "virtio" => "vd",
        "scsi" or "sata" or "usb" => "sd",
        "ide" => "hd",
        "fdc" => "fd",
        "xen" => "xvd",
        _ => throw StorageException.InvalidArg($"cannot choose a target name for bus '{bus}'"),
    };

    /// <summary>The name of disk number <paramref name="index"/> (0 → a, 25 → z, 26 → aa), like Linux names them.</summary>
    public static string FromIndex(string prefix, int index)
    {
        var letters = new Stack<char>();
        for (int i = index; i >= 0; i = i / 26 - 1)
            letters.Push((char)('a' + i % 26));
        return prefix + new string(letters.ToArray());
    }

    /// <summary>The first name with the bus's prefix that no disk of the guest uses yet.</summary>
    public static string NextFree(string bus, IEnumerable<string> usedTargets)
    {
        string prefix = PrefixForBus(bus);
        var used = new HashSet<string>(usedTargets, StringComparer.Ordinal);
        for (int index = 0; ; index++)
        {
            string name = FromIndex(prefix, index);
            if (!used.Contains(name)) return name;
        }
    }
}
