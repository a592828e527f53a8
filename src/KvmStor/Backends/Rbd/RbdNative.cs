using System.Runtime.InteropServices;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// librados and librbd entry points (source-generated P/Invoke, AOT-safe). The versioned sonames are used because the
/// unversioned ones come only with the -dev packages. Nothing here is called before <see cref="RbdLibrary.Require"/>.
/// Return values follow Ceph's convention: negative errno on failure. Cluster, I/O context and image are SafeHandles
/// (<see cref="RadosClusterHandle"/>, <see cref="RadosIoContextHandle"/>, <see cref="RbdImageHandle"/>), so none is
/// released while a call is inside it; the release functions and the image opens take plain pointers (see the handles).
/// </summary>
internal static unsafe partial class RbdNative
{
    public const string Rados = "librados.so.2";
    public const string Rbd = "librbd.so.1";

    public const ulong FeatureFastDiff = 1UL << 4;
    public const ulong FlagFastDiffInvalid = 1UL << 1;

    /// <summary>struct rados_cluster_stat_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ClusterStat { public ulong Kb, KbUsed, KbAvail, NumObjects; }

    /// <summary>struct rbd_image_info_t (size, obj_size, num_objs, order, block_name_prefix[24], parent_pool, parent_name[96]).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ImageInfo
    {
        public ulong Size, ObjectSize, ObjectCount;
        public int Order;
        public fixed byte BlockNamePrefix[24];
        public long ParentPool;
        public fixed byte ParentName[96];
    }

    /// <summary>rbd_image_spec_t (rbd_list2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ImageSpec { public nint Id, Name; }

    /// <summary>rbd_snap_info_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SnapInfo { public ulong Id, Size; public nint Name; }

    // librados
    [LibraryImport(Rados, EntryPoint = "rados_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_create(out RadosClusterHandle cluster, string? id);

    [LibraryImport(Rados, EntryPoint = "rados_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_conf_set(RadosClusterHandle cluster, string option, string value);

    /// <summary>The key goes in as raw bytes so that no managed string copy of it outlives the call.</summary>
    [LibraryImport(Rados, EntryPoint = "rados_conf_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_conf_set_bytes(RadosClusterHandle cluster, string option, byte* value);

    [LibraryImport(Rados, EntryPoint = "rados_connect")]
    public static partial int rados_connect(RadosClusterHandle cluster);

    [LibraryImport(Rados, EntryPoint = "rados_shutdown")]
    public static partial void rados_shutdown(nint cluster);

    [LibraryImport(Rados, EntryPoint = "rados_ioctx_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_ioctx_create(RadosClusterHandle cluster, string poolName, out RadosIoContextHandle ioctx);

    [LibraryImport(Rados, EntryPoint = "rados_ioctx_destroy")]
    public static partial void rados_ioctx_destroy(nint ioctx);

    [LibraryImport(Rados, EntryPoint = "rados_cluster_stat")]
    public static partial int rados_cluster_stat(RadosClusterHandle cluster, ClusterStat* result);

    /// <summary>The struct grew over releases; callers pass a generous buffer and read num_bytes (the first field).</summary>
    [LibraryImport(Rados, EntryPoint = "rados_ioctx_pool_stat")]
    public static partial int rados_ioctx_pool_stat(RadosIoContextHandle ioctx, ulong* stats);

    // librbd: listing and opening
    [LibraryImport(Rbd, EntryPoint = "rbd_list2")]
    public static partial int rbd_list2(RadosIoContextHandle ioctx, ImageSpec* images, ref nuint maxImages);

    [LibraryImport(Rbd, EntryPoint = "rbd_image_spec_list_cleanup")]
    public static partial void rbd_image_spec_list_cleanup(ImageSpec* images, nuint count);

    [LibraryImport(Rbd, EntryPoint = "rbd_open", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_open(RadosIoContextHandle ioctx, string name, out nint image, string? snapName);

    [LibraryImport(Rbd, EntryPoint = "rbd_open_read_only", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_open_read_only(RadosIoContextHandle ioctx, string name, out nint image, string? snapName);

    [LibraryImport(Rbd, EntryPoint = "rbd_aio_open_read_only", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_aio_open_read_only(RadosIoContextHandle ioctx, string name, nint* image, string? snapName, nint completion);

    [LibraryImport(Rbd, EntryPoint = "rbd_aio_close")]
    public static partial int rbd_aio_close(nint image, nint completion);

    [LibraryImport(Rbd, EntryPoint = "rbd_close")]
    public static partial int rbd_close(nint image);

    [LibraryImport(Rbd, EntryPoint = "rbd_aio_create_completion")]
    public static partial int rbd_aio_create_completion(nint callbackArgument, nint callback, out nint completion);

    [LibraryImport(Rbd, EntryPoint = "rbd_aio_wait_for_complete")]
    public static partial int rbd_aio_wait_for_complete(nint completion);

    [LibraryImport(Rbd, EntryPoint = "rbd_aio_get_return_value")]
    public static partial nint rbd_aio_get_return_value(nint completion);

    [LibraryImport(Rbd, EntryPoint = "rbd_aio_release")]
    public static partial void rbd_aio_release(nint completion);

    // librbd: image information
    [LibraryImport(Rbd, EntryPoint = "rbd_stat")]
    public static partial int rbd_stat(RbdImageHandle image, ImageInfo* info, nuint infoSize);

    [LibraryImport(Rbd, EntryPoint = "rbd_get_features")]
    public static partial int rbd_get_features(RbdImageHandle image, out ulong features);

    [LibraryImport(Rbd, EntryPoint = "rbd_get_flags")]
    public static partial int rbd_get_flags(RbdImageHandle image, out ulong flags);

    [LibraryImport(Rbd, EntryPoint = "rbd_get_old_format")]
    public static partial int rbd_get_old_format(RbdImageHandle image, out byte oldFormat);

    [LibraryImport(Rbd, EntryPoint = "rbd_get_stripe_unit")]
    public static partial int rbd_get_stripe_unit(RbdImageHandle image, out ulong stripeUnit);

    [LibraryImport(Rbd, EntryPoint = "rbd_get_stripe_count")]
    public static partial int rbd_get_stripe_count(RbdImageHandle image, out ulong stripeCount);

    [LibraryImport(Rbd, EntryPoint = "rbd_diff_iterate2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_diff_iterate2(RbdImageHandle image, string? fromSnapName, ulong offset, ulong length, byte includeParent,
        byte wholeObject, delegate* unmanaged<ulong, nuint, int, void*, int> callback, void* argument);

    // librbd: changes
    [LibraryImport(Rbd, EntryPoint = "rbd_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_create(RadosIoContextHandle ioctx, string name, ulong size, ref int order);

    [LibraryImport(Rbd, EntryPoint = "rbd_remove", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_remove(RadosIoContextHandle ioctx, string name);

    [LibraryImport(Rbd, EntryPoint = "rbd_resize")]
    public static partial int rbd_resize(RbdImageHandle image, ulong size);

    [LibraryImport(Rbd, EntryPoint = "rbd_copy", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_copy(RbdImageHandle image, RadosIoContextHandle destinationIoctx, string destinationName);

    [LibraryImport(Rbd, EntryPoint = "rbd_clone2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_clone2(RadosIoContextHandle parentIoctx, string parentName, string parentSnapName, RadosIoContextHandle childIoctx, string childName,
        ulong features, ref int order, ulong stripeUnit, int stripeCount);

    [LibraryImport(Rbd, EntryPoint = "rbd_read")]
    public static partial nint rbd_read(RbdImageHandle image, ulong offset, nuint length, byte* buffer);

    [LibraryImport(Rbd, EntryPoint = "rbd_write")]
    public static partial nint rbd_write(RbdImageHandle image, ulong offset, nuint length, byte* buffer);

    [LibraryImport(Rbd, EntryPoint = "rbd_discard")]
    public static partial int rbd_discard(RbdImageHandle image, ulong offset, ulong length);

    [LibraryImport(Rbd, EntryPoint = "rbd_flush")]
    public static partial int rbd_flush(RbdImageHandle image);

    // librbd: snapshots
    [LibraryImport(Rbd, EntryPoint = "rbd_snap_list")]
    public static partial int rbd_snap_list(RbdImageHandle image, SnapInfo* snaps, ref int maxSnaps);

    [LibraryImport(Rbd, EntryPoint = "rbd_snap_list_end")]
    public static partial void rbd_snap_list_end(SnapInfo* snaps);

    [LibraryImport(Rbd, EntryPoint = "rbd_snap_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_snap_create(RbdImageHandle image, string name);

    [LibraryImport(Rbd, EntryPoint = "rbd_snap_remove", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_snap_remove(RbdImageHandle image, string name);

    [LibraryImport(Rbd, EntryPoint = "rbd_snap_protect", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_snap_protect(RbdImageHandle image, string name);

    [LibraryImport(Rbd, EntryPoint = "rbd_snap_unprotect", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_snap_unprotect(RbdImageHandle image, string name);

    [LibraryImport(Rbd, EntryPoint = "rbd_snap_is_protected", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rbd_snap_is_protected(RbdImageHandle image, string name, out int isProtected);
}

// librados read operations: an image's header and object map read without opening the image (see RbdHeaderReader).
internal static unsafe partial class RbdNative
{
    /// <summary>CEPH_NOSNAP: the image head rather than a snapshot.</summary>
    public const ulong NoSnapshot = unchecked((ulong)-2L);

    [LibraryImport(Rados, EntryPoint = "rados_create_read_op")]
    public static partial nint rados_create_read_op();

    [LibraryImport(Rados, EntryPoint = "rados_release_read_op")]
    public static partial void rados_release_read_op(nint op);

    /// <summary>Adds a class-method call; librados copies the names and the input at once.</summary>
    [LibraryImport(Rados, EntryPoint = "rados_read_op_exec", StringMarshalling = StringMarshalling.Utf8)]
    public static partial void rados_read_op_exec(nint op, string cls, string method, byte* input, nuint inputLength,
        nint* output, nuint* outputLength, int* result);

    [LibraryImport(Rados, EntryPoint = "rados_aio_read_op_operate", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_aio_read_op_operate(nint op, RadosIoContextHandle ioctx, nint completion, string objectName, int flags);

    [LibraryImport(Rados, EntryPoint = "rados_aio_read", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rados_aio_read(RadosIoContextHandle ioctx, string objectName, nint completion, byte* buffer, nuint length, ulong offset);

    [LibraryImport(Rados, EntryPoint = "rados_aio_create_completion2")]
    public static partial int rados_aio_create_completion2(nint argument, nint callback, out nint completion);

    [LibraryImport(Rados, EntryPoint = "rados_aio_wait_for_complete")]
    public static partial int rados_aio_wait_for_complete(nint completion);

    [LibraryImport(Rados, EntryPoint = "rados_aio_get_return_value")]
    public static partial int rados_aio_get_return_value(nint completion);

    [LibraryImport(Rados, EntryPoint = "rados_aio_release")]
    public static partial void rados_aio_release(nint completion);

    [LibraryImport(Rados, EntryPoint = "rados_buffer_free")]
    public static partial void rados_buffer_free(nint buffer);
}
