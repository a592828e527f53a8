namespace KvmStor.Host;

/// <summary>The kind of inode a path names (S_IFMT).</summary>
public enum FileKind { Regular, Directory, SymbolicLink, BlockDevice, CharacterDevice, Fifo, Socket, Unknown }

/// <summary>A point in time as the kernel stores it: seconds and nanoseconds since the epoch.</summary>
public readonly record struct FileTimestamp(long Seconds, uint Nanoseconds)
{
    /// <summary>libvirt's form: "sec" when the nanoseconds are 0, else "sec.nnnnnnnnn".</summary>
    public string ToLibvirtString() => Nanoseconds == 0 ? Seconds.ToString() : $"{Seconds}.{Nanoseconds:D9}";
}

/// <summary>What statx(2) reports about one inode, in the units libvirt uses.</summary>
public sealed record FileSystemStatus
{
    public required FileKind Kind { get; init; }
    /// <summary>Permission bits only (mode &amp; 07777).</summary>
    public required int Mode { get; init; }
    public required uint Owner { get; init; }
    public required uint Group { get; init; }
    /// <summary>st_size.</summary>
    public required ulong Size { get; init; }
    /// <summary>st_blocks: allocated 512-byte units.</summary>
    public required ulong Blocks512 { get; init; }
    public required FileTimestamp Accessed { get; init; }
    public required FileTimestamp Modified { get; init; }
    public required FileTimestamp Changed { get; init; }
    /// <summary>Birth time (statx btime) where the file system records one; tells a new file from an old one with a reused inode.</summary>
    public FileTimestamp? Born { get; init; }
    public required ulong Inode { get; init; }
    public uint DeviceMajor { get; init; }
    public uint DeviceMinor { get; init; }
    /// <summary>The device of the file system holding the file (st_dev); with <see cref="Inode"/> it names the file.</summary>
    public uint FileSystemMajor { get; init; }
    public uint FileSystemMinor { get; init; }

    public Model.FileIdentity Identity => new(FileSystemMajor, FileSystemMinor, Inode);

    /// <summary>
    /// Whether two stat results are one file, whatever names, links or bind mounts led to them: regular files (and
    /// other inodes) by file system and inode, block devices by device number (two nodes of one disk are one disk).
    /// </summary>
    public bool IsSameFileAs(FileSystemStatus other) =>
        Kind == FileKind.BlockDevice
            ? other.Kind == FileKind.BlockDevice && DeviceMajor == other.DeviceMajor && DeviceMinor == other.DeviceMinor
            : Kind == other.Kind && Identity == other.Identity;

    /// <summary>Bytes really allocated on disk (st_blocks × 512), libvirt's "allocation".</summary>
    public ulong AllocatedBytes => Blocks512 * 512;
}

/// <summary>statvfs(2) of a mounted file system, in bytes.</summary>
public sealed record FileSystemUsage(ulong FragmentSize, ulong TotalBytes, ulong FreeBytes, ulong AvailableBytes);
