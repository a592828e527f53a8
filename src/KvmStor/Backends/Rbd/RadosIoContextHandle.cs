using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// A librados I/O context (rados_ioctx_t) of a Ceph pool. It is never owned, so neither Dispose nor a finalizer destroys
/// it: only <see cref="Destroy"/> does, when its connection is closed with no call using it (a connection abandoned
/// after a timeout keeps its context until the process ends).
/// </summary>
internal sealed class RadosIoContextHandle : AbandonableHandle
{
    /// <summary>Not owned; made by rados_ioctx_create's marshalling.</summary>
    public RadosIoContextHandle() : base(ownsHandle: false) { }

    /// <summary>rados_ioctx_destroy, once; the handle is invalid afterwards.</summary>
    public void Destroy()
    {
        if (IsInvalid || IsClosed) return;
        RbdNative.rados_ioctx_destroy(handle);
        SetHandleAsInvalid();
    }

    /// <summary>What releasing would be; not reached, since the handle does not own its context.</summary>
    protected override bool ReleaseHandle()
    {
        RbdNative.rados_ioctx_destroy(handle);
        return true;
    }
}
