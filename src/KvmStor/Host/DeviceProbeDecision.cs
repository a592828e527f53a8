namespace KvmStor.Host;

/// <summary>
/// libvirt's decision whether a pool may use or (re)format a device (storage_util.c's "is the device empty", spec
/// §3.10), with its exact messages. <c>writeLabel</c> is true for build without --overwrite (the device must be
/// empty or hold something else only with --overwrite) and false for start/check (the device must hold the expected
/// format). A filesystem found where a partition table is expected counts as a different format, never as empty.
/// </summary>
public static class DeviceProbeDecision
{
    /// <summary>Throws unless the probe allows the operation.</summary>
    /// <param name="expected">The pool's format: a partition label (dos, gpt…) or a filesystem type (ext4, lvm2…).</param>
    /// <param name="expectsPartitionTable">True for disk pools, false for fs/logical pools.</param>
    public static void Require(string device, string expected, DeviceContent? content, bool writeLabel, bool expectsPartitionTable)
    {
        if (content is null)
            throw new StorageException(ErrorCode.StorageProbeFailed,
                $"Unable to probe '{device}' for existing data, forced overwrite is necessary");

        if (content.IsEmpty)
        {
            if (!writeLabel)
                throw new StorageException(ErrorCode.StorageProbeFailed, $"Device '{device}' is unrecognized, requires build");
            return;
        }

        string? found = expectsPartitionTable ? content.PartitionTable : content.FileSystem;
        bool matches = found is not null && SameFormat(found, expected);
        if (matches)
        {
            if (writeLabel)
                throw new StorageException(ErrorCode.StoragePoolBuilt, $"Device '{device}' already formatted using '{expected}'");
            return;
        }

        // Checked against libvirt 9.0 here: "Storage pool already built: Format of device … forced overwrite is necessary".
        if (writeLabel)
            throw new StorageException(ErrorCode.StoragePoolBuilt,
                $"Format of device '{device}' does not match the expected format '{expected}', forced overwrite is necessary");
        throw StorageException.Invalid($"Format of device '{device}' does not match the expected format '{expected}'");
    }

    /// <summary>blkid's names against libvirt's pool format names (LVM2_member is lvm2; "auto" accepts any filesystem).</summary>
    public static bool SameFormat(string blkidName, string poolFormat) =>
        poolFormat == "auto"
        || string.Equals(blkidName, poolFormat, StringComparison.OrdinalIgnoreCase)
        || (poolFormat == "lvm2" && blkidName == "LVM2_member")
        || (poolFormat == "dos" && blkidName == "msdos");
}
