using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>Ceph's negative-errno results as libvirt's system errors ("&lt;what&gt;: &lt;strerror&gt;").</summary>
internal static class RbdErrors
{
    public const int ENOENT = 2, EBUSY = 16, EEXIST = 17, ERANGE = 34, ENOTEMPTY = 39, ETIMEDOUT = 110;

    /// <summary>Throws when <paramref name="result"/> is a negative errno; returns it otherwise.</summary>
    public static long Check(long result, string what) =>
        result < 0 ? throw StorageException.System(what, (int)-result) : result;

    public static StorageException Failure(string what, long result) => StorageException.System(what, (int)-result);
}
