namespace KvmStor.Host;

/// <summary>A failed system call: the message is "&lt;what&gt;: &lt;strerror&gt;" and <see cref="Errno"/> keeps the code.</summary>
public sealed class FileSystemException : IOException
{
    public int Errno { get; }

    public FileSystemException(string what, int errno)
        : base($"{what}: {KvmStor.Errno.Describe(errno)}", errno) => Errno = errno;

    /// <summary>The same failure as libvirt reports it (no prefix, "what: strerror").</summary>
    public StorageException ToStorageException() => new(ErrorCode.None, Message, this);
}
