using KvmStor.Host;

namespace KvmStor.Backends.Logical;

/// <summary>
/// Interim device probe for pool-build of a logical pool, until the shared Host device probe replaces it: asks
/// <c>blkid -p</c> what a device holds and refuses, with libvirt's texts (spec §3.10), any device that already holds a
/// filesystem, a PV or a partition table. An empty device passes.
/// </summary>
internal static class LogicalDeviceBlkidCheck
{
    /// <summary>What blkid calls an LVM physical volume (libvirt passes this, not "lvm2", to its probe).</summary>
    public const string PhysicalVolumeType = "LVM2_member";

    /// <summary>blkid's exit status when it identified nothing.</summary>
    private const int NothingFound = 2;

    private const string ProbeFailedPrefix = "Storage pool probe failed: ";

    public static CommandLine Command(string device) => new("blkid", "-p", "-o", "export", device);

    public static void RequireEmpty(ICommandRunner runner, string device)
    {
        if (!runner.Exists("blkid"))
            throw StorageException.Internal("Cannot find 'blkid' in path: install the Debian package util-linux");
        var result = runner.Run(Command(device));
        if (result.ExitCode == NothingFound) return;
        if (!result.Success)
            throw ProbeFailed($"Unable to probe '{device}' for existing data, forced overwrite is necessary");

        string? type = null, partitionTable = null;
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            if (line.StartsWith("TYPE=", StringComparison.Ordinal)) type = line[5..].Trim();
            else if (line.StartsWith("PTTYPE=", StringComparison.Ordinal)) partitionTable = line[7..].Trim();
        }
        if (type == PhysicalVolumeType)
            throw new StorageException(ErrorCode.StoragePoolBuilt, $"Device '{device}' already formatted using '{PhysicalVolumeType}'");
        if (type is not null || partitionTable is not null)
            throw ProbeFailed($"Format of device '{device}' does not match the expected format '{PhysicalVolumeType}', forced overwrite is necessary");
    }

    // libvirt reports these as VIR_ERR_STORAGE_PROBE_FAILED; ErrorCode has no such member yet, so the prefix is spelt here.
    private static StorageException ProbeFailed(string message) => new(ErrorCode.None, ProbeFailedPrefix + message);
}
