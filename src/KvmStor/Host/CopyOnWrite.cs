using static KvmStor.Host.Libc;

namespace KvmStor.Host;

/// <summary>
/// btrfs's per-file copy-on-write switch (the 'C' attribute of chattr): &lt;features&gt;&lt;cow state='no'/&gt; of dir
/// and fs pools, and &lt;nocow/&gt; of volumes. Other filesystems do not copy on write, so there is nothing to switch
/// there. btrfs honours the flag on empty files only (and on directories, for the files made in them later).
/// </summary>
public static unsafe class CopyOnWrite
{
    /// <summary>
    /// Sets or clears NOCOW on <paramref name="path"/> (file or directory). Returns false, changing nothing, on a
    /// filesystem other than btrfs; throws <see cref="FileSystemException"/> when btrfs refuses.
    /// </summary>
    public static bool Set(string path, bool copyOnWrite)
    {
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) throw new FileSystemException($"cannot open '{path}'", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        try
        {
            if (!IsBtrfs(fd, path)) return false;
            int flags = 0;
            if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) throw LastError($"cannot read the attributes of '{path}'");
            int wanted = copyOnWrite ? flags & ~FS_NOCOW_FL : flags | FS_NOCOW_FL;
            if (wanted != flags && ioctl(fd, FS_IOC_SETFLAGS, &wanted) != 0)
                throw LastError($"cannot {(copyOnWrite ? "clear" : "set")} the NOCOW attribute of '{path}'");
            return true;
        }
        finally { close(fd); }
    }

    private static bool IsBtrfs(int fd, string path)
    {
        // struct statfs on 64-bit Linux: f_type is the first field (a long); the whole struct is 120 bytes.
        byte* buffer = stackalloc byte[256];
        if (fstatfs(fd, buffer) != 0) throw LastError($"cannot get file system status of '{path}'");
        return *(long*)buffer == BTRFS_SUPER_MAGIC;
    }

    private static FileSystemException LastError(string what) =>
        new(what, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
}
