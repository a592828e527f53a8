using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>
/// A native library's handle (a pointer; NULL is invalid) that can be abandoned. After a call on it ran out of time, or
/// its connection was lost mid-call, the library may still be inside it on another thread; freeing it then could crash
/// the process or let that call complete into freed memory. <see cref="Abandon"/> makes sure it is never released,
/// neither by Dispose nor by the finalizer: it is left to the ending process. Any later call that would pass it to the
/// library fails with <see cref="ObjectDisposedException"/> instead of reaching the library.
/// </summary>
internal abstract class AbandonableHandle : SafeHandle
{
    private volatile bool _abandoned;

    /// <param name="ownsHandle">False for a handle kvmstor deliberately never releases (kept until the process ends).</param>
    protected AbandonableHandle(bool ownsHandle) : base(0, ownsHandle) { }

    public override bool IsInvalid => handle == 0;

    /// <summary>Whether <see cref="Abandon"/> was called.</summary>
    public bool IsAbandoned => _abandoned;

    /// <summary>Never release this handle; the library may still be using it.</summary>
    public void Abandon()
    {
        _abandoned = true;
        SetHandleAsInvalid();
    }
}
