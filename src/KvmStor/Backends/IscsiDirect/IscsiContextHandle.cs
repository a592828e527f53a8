using KvmStor.Host;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// A libiscsi context (struct iscsi_context *), disconnected and destroyed when disposed. A context whose call timed
/// out or whose session was lost is abandoned: libiscsi may still hold the lost command's task, its data buffer and
/// the wait state of the thread inside it, so it is never freed (see <see cref="IscsiSession"/>).
/// </summary>
internal sealed unsafe class IscsiContextHandle : AbandonableHandle
{
    /// <summary>Owned; made by iscsi_create_context's marshalling.</summary>
    public IscsiContextHandle() : base(ownsHandle: true) { }

    /// <summary>
    /// libiscsi's text for the context's last error; "" when there is no context. An abandoned context is still read:
    /// it is never freed, so its pointer stays valid.
    /// </summary>
    public string LastError()
    {
        if (IsAbandoned) return LibIscsi.Text(LibIscsi.GetError(handle));
        if (IsInvalid || IsClosed) return "";
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            return LibIscsi.Text(LibIscsi.GetError(handle));
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    protected override bool ReleaseHandle()
    {
        LibIscsi.Disconnect(handle);
        LibIscsi.DestroyContext(handle);
        return true;
    }
}
