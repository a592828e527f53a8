using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using KvmStor.Backends.IscsiDirect;
using KvmStor.Backends.Rbd;
using Xunit;

namespace KvmStor.Tests.Backends;

/// <summary>
/// The real handle types never release what kvmstor leaves to the process: an abandoned rbd image, cluster or iSCSI
/// context, a kept rados connection, an I/O context. The handles hold a made-up pointer, so a release would hand it
/// to librados, librbd or libiscsi: these tests pass only because none is released (a regression fails them loudly,
/// by a DllNotFoundException or by bringing the test host down).
/// </summary>
public class NativeHandleReleaseTests
{
    private const nint MadeUp = 0x1000;

    [Fact]
    public void An_abandoned_rbd_image_is_never_closed()
    {
        var image = new RbdImageHandle(MadeUp);
        image.Abandon();
        image.Dispose();
        Assert.True(image.IsClosed);
        Drop(() => Abandoned(new RbdImageHandle(MadeUp)));
    }

    [Fact]
    public void An_abandoned_iscsi_context_is_never_destroyed()
    {
        var context = Made(new IscsiContextHandle());
        context.Abandon();
        context.Dispose();
        Assert.True(context.IsAbandoned);
        Drop(() => Abandoned(Made(new IscsiContextHandle())));
    }

    [Fact]
    public void An_iscsi_context_that_was_never_made_has_no_error_text_and_nothing_to_free()
    {
        var context = new IscsiContextHandle();
        Assert.True(context.IsInvalid);
        Assert.Equal("", context.LastError());
        context.Dispose();
        Assert.Equal("", context.LastError());
    }

    [Fact]
    public void An_abandoned_cluster_is_never_shut_down()
    {
        var cluster = Made(new RadosClusterHandle());
        cluster.Abandon();
        cluster.Dispose();
        Drop(() => Abandoned(Made(new RadosClusterHandle())));
    }

    [Fact]
    public void A_kept_connection_is_never_shut_down_nor_its_io_context_destroyed_by_dispose_or_a_finalizer()
    {
        var connecting = Made(new RadosClusterHandle());
        var kept = connecting.KeepUnowned();
        Assert.True(connecting.IsClosed);                       // gave up its ownership
        Assert.False(kept.IsClosed);
        Assert.Equal(MadeUp, kept.DangerousGetHandle());
        var ioctx = Made(new RadosIoContextHandle());
        connecting.Dispose();
        kept.Dispose();
        ioctx.Dispose();
        Drop(() => Made(new RadosClusterHandle()).KeepUnowned());
        Drop(() => Made(new RadosIoContextHandle()));
    }

    [Fact]
    public void A_call_that_says_the_connection_is_lost_marks_it_broken_and_an_answer_does_not()
    {
        RadosConnection Connection() => new(Made(new RadosClusterHandle()).KeepUnowned(), Made(new RadosIoContextHandle()), "rbd", "m,");

        var answered = Connection();
        Assert.Equal(-2, answered.Call("opening RBD image 'gone'", () => -2));           // ENOENT: an answer
        Assert.Throws<StorageException>(() => answered.Call("removing", () => throw RbdErrors.Failure("failed to remove", -16)));
        Assert.Equal(KvmStor.Backends.KeptConnectionState.Healthy, answered.State);

        var timedOutInLibrados = Connection();
        Assert.Equal(-110, timedOutInLibrados.Call("creating RBD image", () => -110));    // rados_osd_op_timeout
        Assert.Equal(KvmStor.Backends.KeptConnectionState.Broken, timedOutInLibrados.State);

        var lost = Connection();
        var e = Assert.Throws<StorageException>(() => lost.Call("RADOS statistics", () => (long)RbdErrors.Check(-107, "failed to stat the RADOS cluster")));
        Assert.Equal(107, e.SystemErrno);
        Assert.Equal(KvmStor.Backends.KeptConnectionState.Broken, lost.State);
        // Nothing here is closed: the handles are made up (Close would hand them to librados).
    }

    private static T Made<T>(T handle) where T : SafeHandle
    {
        Marshal.InitHandle(handle, MadeUp);
        return handle;
    }

    private static T Abandoned<T>(T handle) where T : KvmStor.Host.AbandonableHandle
    {
        handle.Abandon();
        return handle;
    }

    /// <summary>Makes a handle, drops it and runs the finalizers.</summary>
    private static void Drop(Func<SafeHandle> make)
    {
        Make(make);
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Make(Func<SafeHandle> make) => GC.KeepAlive(make());
}
