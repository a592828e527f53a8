using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// A librados cluster handle (rados_t). While a connection is being made the handle is owned: a failed attempt that
/// left nothing waiting inside librados is released (rados_shutdown), one that timed out is abandoned. A connection
/// that succeeded is kept (see <see cref="RadosConnection"/>): <see cref="KeepUnowned"/>, and shut down only by
/// <see cref="ShutDown"/> when its connection is closed with no call using it.
/// </summary>
internal sealed class RadosClusterHandle : AbandonableHandle
{
    /// <summary>Owned; made by rados_create's marshalling.</summary>
    public RadosClusterHandle() : base(ownsHandle: true) { }

    private RadosClusterHandle(nint cluster, bool ownsHandle) : base(ownsHandle) => SetHandle(cluster);

    /// <summary>
    /// The same cluster under a handle that is never released, neither by Dispose nor by a finalizer: a made connection
    /// is shut down only explicitly (<see cref="ShutDown"/>). This handle gives up its ownership (becomes invalid).
    /// </summary>
    public RadosClusterHandle KeepUnowned()
    {
        var kept = new RadosClusterHandle(handle, ownsHandle: false);
        SetHandleAsInvalid();
        return kept;
    }

    /// <summary>rados_shutdown of a kept connection, once; the handle is invalid afterwards.</summary>
    public void ShutDown()
    {
        if (IsInvalid || IsClosed) return;
        RbdNative.rados_shutdown(handle);
        SetHandleAsInvalid();
    }

    protected override bool ReleaseHandle()
    {
        RbdNative.rados_shutdown(handle);
        return true;
    }
}
