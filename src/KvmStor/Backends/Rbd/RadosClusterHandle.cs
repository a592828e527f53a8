using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// A librados cluster handle (rados_t). While a connection is being made the handle is owned: a failed attempt that
/// left nothing waiting inside librados is released (rados_shutdown), one that timed out is abandoned. A connection
/// that succeeded is kept until the process ends (see <see cref="RadosConnection"/>): <see cref="KeepForProcess"/>.
/// </summary>
internal sealed class RadosClusterHandle : AbandonableHandle
{
    /// <summary>Owned; made by rados_create's marshalling.</summary>
    public RadosClusterHandle() : base(ownsHandle: true) { }

    private RadosClusterHandle(nint cluster, bool ownsHandle) : base(ownsHandle) => SetHandle(cluster);

    /// <summary>
    /// The same cluster under a handle that is never released, neither by Dispose nor by a finalizer: a connection is
    /// kept for the life of the process and never shut down. This handle gives up its ownership (becomes invalid).
    /// </summary>
    public RadosClusterHandle KeepForProcess()
    {
        var kept = new RadosClusterHandle(handle, ownsHandle: false);
        SetHandleAsInvalid();
        return kept;
    }

    protected override bool ReleaseHandle()
    {
        RbdNative.rados_shutdown(handle);
        return true;
    }
}
