using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// A librados I/O context (rados_ioctx_t) of a Ceph pool. It belongs to a connection that is kept until the process
/// ends, so it is never owned: kvmstor never destroys an I/O context, and no finalizer does either.
/// </summary>
internal sealed class RadosIoContextHandle : AbandonableHandle
{
    /// <summary>Not owned; made by rados_ioctx_create's marshalling.</summary>
    public RadosIoContextHandle() : base(ownsHandle: false) { }

    /// <summary>What releasing would be; not reached, since the handle does not own its context.</summary>
    protected override bool ReleaseHandle()
    {
        RbdNative.rados_ioctx_destroy(handle);
        return true;
    }
}
