using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>Ceph's negative-errno results as libvirt's system errors ("&lt;what&gt;: &lt;strerror&gt;").</summary>
internal static class RbdErrors
{
    public const int EPERM = 1, ENOENT = 2, EACCES = 13, EBUSY = 16, EEXIST = 17, ERANGE = 34, ENOTEMPTY = 39,
        ENETUNREACH = 101, ECONNABORTED = 103, ECONNRESET = 104, ENOTCONN = 107, ESHUTDOWN = 108, ETIMEDOUT = 110,
        ECONNREFUSED = 111, EHOSTUNREACH = 113, EKEYEXPIRED = 127, EKEYREJECTED = 129;

    /// <summary>Throws when <paramref name="result"/> is a negative errno; returns it otherwise.</summary>
    public static long Check(long result, string what) =>
        result < 0 ? throw StorageException.System(what, (int)-result) : result;

    public static StorageException Failure(string what, long result) => StorageException.System(what, (int)-result);

    /// <summary>
    /// Whether an errno says the connection itself is no good (librados' own op timeout, a lost or refused session,
    /// a client the cluster blocklisted — ESHUTDOWN —, a key it no longer accepts), rather than the answer to the call
    /// (no such image, busy, exists…). Such a connection is not used again.
    /// </summary>
    public static bool IsConnectionLoss(int errno) => errno is ETIMEDOUT or ENOTCONN or ESHUTDOWN or ECONNREFUSED or ECONNRESET
        or ECONNABORTED or ENETUNREACH or EHOSTUNREACH or EKEYEXPIRED or EKEYREJECTED or EACCES or EPERM;
}
