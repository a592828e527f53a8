using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static KvmStor.Host.Libc;

namespace KvmStor.Host;

/// <summary>
/// Thin, typed wrappers over the file system calls .NET does not offer (st_blocks, nanosecond times,
/// holes, reflinks, block-device ioctls). Every failure is a <see cref="FileSystemException"/>.
/// </summary>
public static unsafe class FileSystem
{
    public const int ENXIO = 6, ENOSYS = 38, ENOTTY = 25;
    private const int AT_EMPTY_PATH = 0x1000;
    private const int StatxBufferSize = 256;
    /// <summary>The basic stats plus the birth time, where the file system keeps one.</summary>
    private const uint StatxMask = STATX_BASIC_STATS | STATX_BTIME;

    /// <summary>stat (or lstat when <paramref name="followLinks"/> is false) of a path.</summary>
    public static FileSystemStatus Stat(string path, bool followLinks = true)
        => TryStat(path, followLinks, out var status, out int errno)
            ? status : throw new FileSystemException($"cannot stat file '{path}'", errno);

    public static bool TryStat(string path, bool followLinks, out FileSystemStatus status, out int errno)
    {
        byte* buffer = stackalloc byte[StatxBufferSize];
        int rc = statx(AT_FDCWD, path, followLinks ? 0 : AT_SYMLINK_NOFOLLOW, StatxMask, buffer);
        errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        status = rc == 0 ? Decode(new ReadOnlySpan<byte>(buffer, StatxBufferSize)) : null!;
        return rc == 0;
    }

    /// <summary>statx of <paramref name="name"/> relative to an open directory.</summary>
    public static bool TryStatAt(SafeFileHandle directory, string name, bool followLinks, out FileSystemStatus status, out int errno)
    {
        byte* buffer = stackalloc byte[StatxBufferSize];
        int rc = statx(Fd(directory), name, followLinks ? 0 : AT_SYMLINK_NOFOLLOW, StatxMask, buffer);
        errno = rc == 0 ? 0 : Marshal.GetLastPInvokeError();
        status = rc == 0 ? Decode(new ReadOnlySpan<byte>(buffer, StatxBufferSize)) : null!;
        return rc == 0;
    }

    /// <summary>
    /// The change time (ctime) of <paramref name="path"/>, NUL-terminated UTF-8, relative to an open directory (links
    /// followed); false when it cannot be stated. Nothing is allocated: made for checks over hundreds of paths.
    /// </summary>
    public static bool TryGetChangeTimeAt(SafeFileHandle directory, ReadOnlySpan<byte> path, out FileTimestamp changed)
    {
        changed = default;
        if (path.IsEmpty || path[^1] != 0) throw new ArgumentException("the path must end with a NUL byte", nameof(path));
        byte* buffer = stackalloc byte[StatxBufferSize];
        int rc;
        fixed (byte* p = path) rc = statx(Fd(directory), p, 0, STATX_CTIME, buffer);
        if (rc != 0) return false;
        changed = Time(new ReadOnlySpan<byte>(buffer + 96, 16));
        return true;
    }

    /// <summary>fstat of an open file.</summary>
    public static FileSystemStatus Stat(SafeFileHandle handle)
    {
        byte* buffer = stackalloc byte[StatxBufferSize];
        if (statx(Fd(handle), "", AT_EMPTY_PATH, StatxMask, buffer) != 0)
            throw Error("cannot stat open file");
        return Decode(new ReadOnlySpan<byte>(buffer, StatxBufferSize));
    }

    // struct statx layout (linux/stat.h), identical on every 64-bit architecture.
    private static FileSystemStatus Decode(ReadOnlySpan<byte> b)
    {
        ushort mode = BinaryPrimitives.ReadUInt16LittleEndian(b[28..]);
        return new FileSystemStatus
        {
            Kind = (mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0xA000 => FileKind.SymbolicLink,
                0x6000 => FileKind.BlockDevice,
                0x2000 => FileKind.CharacterDevice,
                0x1000 => FileKind.Fifo,
                0xC000 => FileKind.Socket,
                _ => FileKind.Unknown,
            },
            Mode = mode & 0xFFF,
            Owner = BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
            Group = BinaryPrimitives.ReadUInt32LittleEndian(b[24..]),
            Inode = BinaryPrimitives.ReadUInt64LittleEndian(b[32..]),
            Size = BinaryPrimitives.ReadUInt64LittleEndian(b[40..]),
            Blocks512 = BinaryPrimitives.ReadUInt64LittleEndian(b[48..]),
            Accessed = Time(b[64..]),
            Born = (BinaryPrimitives.ReadUInt32LittleEndian(b) & STATX_BTIME) != 0 ? Time(b[80..]) : null,
            Changed = Time(b[96..]),
            Modified = Time(b[112..]),
            DeviceMajor = BinaryPrimitives.ReadUInt32LittleEndian(b[128..]),
            DeviceMinor = BinaryPrimitives.ReadUInt32LittleEndian(b[132..]),
            FileSystemMajor = BinaryPrimitives.ReadUInt32LittleEndian(b[136..]),
            FileSystemMinor = BinaryPrimitives.ReadUInt32LittleEndian(b[140..]),
        };

    }

    private static FileTimestamp Time(ReadOnlySpan<byte> t) =>
        new(BinaryPrimitives.ReadInt64LittleEndian(t), BinaryPrimitives.ReadUInt32LittleEndian(t[8..]));

    /// <summary>statvfs of the file system holding <paramref name="path"/>.</summary>
    public static FileSystemUsage StatVfs(string path)
    {
        // struct statvfs on 64-bit glibc: 11 unsigned longs then spare ints.
        ulong* v = stackalloc ulong[16];
        if (statvfs(path, (byte*)v) != 0) throw Error($"cannot statvfs path '{path}'");
        ulong frsize = v[1];
        return new FileSystemUsage(frsize, v[2] * frsize, v[3] * frsize, v[4] * frsize);
    }

    /// <summary>Reserves blocks (fallocate mode 0, or KEEP_SIZE).</summary>
    public static void Allocate(SafeFileHandle handle, long offset, long length, bool keepSize = false)
    {
        if (fallocate(Fd(handle), keepSize ? FALLOC_FL_KEEP_SIZE : 0, offset, length) != 0)
            throw Error("cannot allocate space in file");
    }

    /// <summary>Deallocates a range, leaving a hole (size unchanged). False when the file system cannot.</summary>
    public static bool TryPunchHole(SafeFileHandle handle, long offset, long length)
    {
        if (fallocate(Fd(handle), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.EOPNOTSUPP or ENOSYS) return false;
        throw new FileSystemException("cannot punch hole in file", errno);
    }

    public static void Truncate(SafeFileHandle handle, long length)
    {
        if (ftruncate(Fd(handle), length) != 0) throw Error("cannot truncate file");
    }

    /// <summary>Start of the next data at or after <paramref name="offset"/>; null when only a hole follows.</summary>
    public static long? SeekData(SafeFileHandle handle, long offset)
    {
        long r = lseek(Fd(handle), offset, SEEK_DATA);
        if (r >= 0) return r;
        int errno = Marshal.GetLastPInvokeError();
        if (errno == ENXIO) return null;
        throw new FileSystemException("cannot seek to data", errno);
    }

    /// <summary>Start of the next hole at or after <paramref name="offset"/> (end of file counts as a hole).</summary>
    public static long SeekHole(SafeFileHandle handle, long offset)
    {
        long r = lseek(Fd(handle), offset, SEEK_HOLE);
        return r >= 0 ? r : throw Error("cannot seek to hole");
    }

    /// <summary>
    /// copy_file_range: copies up to <paramref name="length"/> bytes inside the kernel. Returns the bytes copied,
    /// or -errno when the call is not possible between these files (EXDEV, ENOSYS, EOPNOTSUPP, EINVAL).
    /// </summary>
    public static long TryCopyRange(SafeFileHandle source, long sourceOffset, SafeFileHandle target, long targetOffset, long length)
    {
        long inOff = sourceOffset, outOff = targetOffset;
        nint r = copy_file_range(Fd(source), &inOff, Fd(target), &outOff, (nuint)length, 0);
        if (r >= 0) return r;
        int errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.EXDEV or ENOSYS or Errno.EOPNOTSUPP or Errno.EINVAL or Errno.EBADF) return -errno;
        throw new FileSystemException("cannot copy file range", errno);
    }

    /// <summary>ioctl FICLONE: makes <paramref name="target"/> share all of <paramref name="source"/>'s extents.</summary>
    public static void Clone(SafeFileHandle target, SafeFileHandle source, string sourcePath)
    {
        if (ioctl(Fd(target), FICLONE, (nint)Fd(source)) != 0)
            throw Error($"failed to clone files from '{sourcePath}'");
    }

    /// <summary>
    /// The size of what a handle has open: a block device's from its ioctl (its stat size is 0), anything else's from
    /// its stat. The one rule for "size of a device, else of a file".
    /// </summary>
    public static ulong SizeOf(SafeFileHandle handle) => SizeOf(handle, Stat(handle));

    /// <summary>The same with the handle's <paramref name="status"/> at hand: a file's size is the one it recorded.</summary>
    public static ulong SizeOf(SafeFileHandle handle, FileSystemStatus status) =>
        status.Kind == FileKind.BlockDevice ? BlockDeviceSize(handle) : status.Size;

    /// <summary>BLKGETSIZE64: the size of a block device in bytes.</summary>
    public static ulong BlockDeviceSize(SafeFileHandle handle)
    {
        ulong size;
        if (ioctl(Fd(handle), BLKGETSIZE64, &size) != 0) throw Error("cannot get block device size");
        return size;
    }

    /// <summary>BLKZEROOUT over [offset, offset+length) of a block device.</summary>
    public static void ZeroOutBlockDevice(SafeFileHandle handle, ulong offset, ulong length)
    {
        ulong* range = stackalloc ulong[2] { offset, length };
        if (ioctl(Fd(handle), BLKZEROOUT, range) != 0) throw Error("cannot zero out block device");
    }

    /// <summary>BLKDISCARD over [offset, offset+length) of a block device.</summary>
    public static void DiscardBlockDevice(SafeFileHandle handle, ulong offset, ulong length)
    {
        ulong* range = stackalloc ulong[2] { offset, length };
        if (ioctl(Fd(handle), BLKDISCARD, range) != 0) throw Error("cannot discard block device");
    }

    public static void DataSync(SafeFileHandle handle)
    {
        if (fdatasync(Fd(handle)) != 0) throw Error("cannot sync file");
    }

    public static void SetMode(string path, int mode)
    {
        if (chmod(path, (uint)mode) != 0) throw Error($"cannot set mode of '{path}' to {Convert.ToString(mode, 8).PadLeft(4, '0')}");
    }

    /// <summary>chown; -1 (uint.MaxValue) leaves that id unchanged.</summary>
    public static void SetOwner(string path, uint owner, uint group)
    {
        if (chown(path, owner, group) != 0) throw Error($"cannot chown '{path}' to ({owner}, {group})");
    }

    /// <summary>fchmod: the mode of the file this descriptor holds, whatever its name now points to.</summary>
    public static void SetMode(SafeFileHandle handle, int mode, string path)
    {
        if (fchmod(Fd(handle), (uint)mode) != 0) throw Error($"cannot set mode of '{path}' to {Convert.ToString(mode, 8).PadLeft(4, '0')}");
    }

    /// <summary>fchown; -1 (uint.MaxValue) leaves that id unchanged.</summary>
    public static void SetOwner(SafeFileHandle handle, uint owner, uint group, string path)
    {
        if (fchown(Fd(handle), owner, group) != 0) throw Error($"cannot chown '{path}' to ({owner}, {group})");
    }

    private static int Fd(SafeFileHandle handle) => (int)handle.DangerousGetHandle();

    private static FileSystemException Error(string what) => new(what, Marshal.GetLastPInvokeError());
}
