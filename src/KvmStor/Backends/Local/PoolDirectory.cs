using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Backends.Local;

/// <summary>
/// A file pool's target directory, open for the length of one command: every entry is reached relative to this
/// handle, never by a path someone could redirect. What lies in the directory is not root's to trust (the directory
/// may be writable by a user, or be an NFS export), so a symbolic link is followed only when root or the user kvmstor
/// runs as owns it (the kernel's rule for sticky directories), an entry is opened without blocking and checked
/// after it was opened, and a write never reaches a block device that is mounted or held.
/// </summary>
public sealed class PoolDirectory : IDisposable
{
    public DirectoryHandle Handle { get; }

    public string Path => Handle.Path;

    private PoolDirectory(DirectoryHandle handle) => Handle = handle;

    /// <summary>Opens the pool's target (a path from root's own definition).</summary>
    public static PoolDirectory Open(PoolDefinition pool)
    {
        string path = LocalTargetDirectory.RequirePath(pool);
        try { return new PoolDirectory(DirectoryHandle.Open(path)); }
        catch (FileSystemException e) { throw StorageException.System($"cannot open directory '{path}'", e.Errno); }
    }

    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Whether a link owned by <paramref name="owner"/> may be followed: root's, or the running user's.</summary>
    public static bool IsTrustedOwner(uint owner) => owner == 0 || owner == Libc.geteuid();

    /// <summary>
    /// Opens an existing volume's file or block device for I/O. Refuses a link someone else owns, anything but a
    /// regular file or block device (a FIFO swapped in cannot block us: the open does not wait), a block device in use
    /// when writing, and a file other than <paramref name="expected"/> (the one the volume was looked up as).
    /// </summary>
    public VolumeFile OpenVolume(string name, FileAccess access, FileIdentity? expected)
    {
        string path = PathOf(name);
        if (!Handle.TryStatEntry(name, out var entry, out int errno))
            throw StorageException.System($"Unable to open '{path}'", errno);
        bool link = entry.Kind == FileKind.SymbolicLink;
        var target = entry;
        if (link)
        {
            if (!IsTrustedOwner(entry.Owner)) throw UntrustedLink(path, entry.Owner);
            if (!Handle.TryStatEntryFollowing(name, out target, out errno))
                throw StorageException.System($"Unable to open '{path}'", errno);
        }
        EnsureVolumeKind(path, target.Kind);
        bool write = access != FileAccess.Read;
        int fd = Handle.TryOpenEntry(name, access, followLink: link, exclusiveDevice: write && target.Kind == FileKind.BlockDevice, out errno);
        if (fd < 0)
        {
            if (errno == Errno.EBUSY && write)
                throw new StorageException(ErrorCode.OperationDenied,
                    $"'{path}' leads to a block device that is mounted or in use; kvmstor does not write to it");
            if (errno == Errno.ELOOP) throw Replaced(path);
            throw StorageException.System($"Unable to open '{path}'", errno);
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var opened = FileSystem.Stat(handle);
            EnsureVolumeKind(path, opened.Kind);
            if (opened.Identity != target.Identity || (expected is { } want && opened.Identity != want)) throw Replaced(path);
            return new VolumeFile(handle, opened, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void EnsureVolumeKind(string path, FileKind kind)
    {
        if (kind == FileKind.Directory) throw StorageException.System($"Unable to open '{path}'", Errno.EISDIR);
        if (kind is not (FileKind.Regular or FileKind.BlockDevice))
            throw StorageException.Failed($"'{path}' is not a regular file or block device");
    }

    public static StorageException Replaced(string path) =>
        StorageException.Failed($"'{path}' was replaced while kvmstor was using it; nothing was done, try again");

    /// <summary>The one line every command gives for a link it will not follow.</summary>
    public static StorageException UntrustedLink(string path, uint owner) =>
        new(ErrorCode.OperationDenied,
            $"'{path}' is a symbolic link owned by {AccountNames.Describe(owner)}; kvmstor follows links in a pool only when root owns them");

    public void Dispose() => Handle.Dispose();
}

/// <summary>An open volume file or device, with the fstat taken right after it was opened.</summary>
public sealed class VolumeFile(SafeFileHandle handle, FileSystemStatus status, string path) : IDisposable
{
    public SafeFileHandle Handle { get; } = handle;
    public FileSystemStatus Status { get; } = status;
    /// <summary>The volume's path, for messages.</summary>
    public string Path { get; } = path;
    public bool IsBlockDevice => Status.Kind == FileKind.BlockDevice;

    /// <summary>A path that reopens exactly this file, for a tool (qemu-img) run as root while the handle is open.</summary>
    public string StablePath => $"/proc/{Environment.ProcessId}/fd/{(int)Handle.DangerousGetHandle()}";

    /// <summary>The file's length, or the device's size.</summary>
    public long Length => (long)FileSystem.SizeOf(Handle);

    public void Dispose() => Handle.Dispose();
}
