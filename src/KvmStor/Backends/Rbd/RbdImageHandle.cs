using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// An open librbd image (rbd_image_t), closed (rbd_close) when disposed. After a call on it timed out it is abandoned,
/// not closed: rbd_close would wait for the very requests that did not come back.
/// </summary>
internal sealed class RbdImageHandle : AbandonableHandle
{
    /// <summary>Takes ownership of an image that rbd_open returned within the bound.</summary>
    /// <remarks>
    /// Opening stays a plain pointer out of the bounded call: an open that completes only after its call timed out
    /// must stay unowned (as before), not become a handle whose finalizer would close it.
    /// </remarks>
    public RbdImageHandle(nint image) : base(ownsHandle: true) => SetHandle(image);

    protected override bool ReleaseHandle()
    {
        RbdNative.rbd_close(handle);
        return true;
    }
}
