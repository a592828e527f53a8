using KvmStor.Host;

namespace KvmStor.Backends.Fs;

/// <summary>What a low-level blkid probe found on a device: a filesystem (TYPE), a partition table (PTTYPE), or nothing.</summary>
internal sealed record BlkidFindings(string? FileSystemType, string? PartitionTableType)
{
    public bool IsEmpty => FileSystemType is null && PartitionTableType is null;
}

/// <summary>
/// INTERIM: a minimal <c>blkid -p -o export</c> call for fs-pool builds, kept private to this folder. It is to be
/// replaced by the shared device probe (Host/DeviceProbe*) when that lands; callers use only
/// <see cref="CheckEmptyForFormat"/>, which keeps libvirt's decisions and texts (spec §3.10).
/// </summary>
internal static class InterimBlkidProbe
{
    /// <summary>blkid's exit status when the low-level probe finds no signature at all.</summary>
    private const int NothingFound = 2;

    public static BlkidFindings Probe(ICommandRunner runner, string device)
    {
        var result = runner.Run(new CommandLine("blkid", "-p", "-o", "export", device));
        if (result.ExitCode == NothingFound) return new BlkidFindings(null, null);
        if (!result.Success)
            throw StorageException.Invalid($"Unable to probe '{device}' for existing data, forced overwrite is necessary");
        string? type = null, ptType = null;
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            if (line.StartsWith("TYPE=", StringComparison.Ordinal)) type = line[5..].Trim();
            else if (line.StartsWith("PTTYPE=", StringComparison.Ordinal)) ptType = line[7..].Trim();
        }
        return new BlkidFindings(type, ptType);
    }

    /// <summary>
    /// libvirt's check before a --no-overwrite mkfs: an empty device may be formatted; the same filesystem already
    /// there means "already built"; any other filesystem or a partition table needs --overwrite.
    /// </summary>
    public static void CheckEmptyForFormat(ICommandRunner runner, string device, string format)
    {
        var found = Probe(runner, device);
        if (found.IsEmpty) return;
        // libvirt looks for partition tables only when no filesystem was found.
        string existing = found.FileSystemType ?? found.PartitionTableType!;
        if (existing == format)
            throw new StorageException(ErrorCode.StoragePoolBuilt, $"Device '{device}' already formatted using '{format}'");
        throw StorageException.Invalid(
            $"Format of device '{device}' does not match the expected format '{format}', forced overwrite is necessary");
    }
}
