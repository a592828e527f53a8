using System.Runtime.InteropServices;

namespace KvmStor.Backends.Rbd;

/// <summary>One listed image: its size and allocation.</summary>
internal readonly record struct RbdImageSummary(string Name, ulong Capacity, ulong Allocation);

/// <summary>
/// Lists a pool's images with their sizes, quickly. libvirt opens and stats every image one after the other (users
/// measured 11.7 s for 950 images); here the opens of a batch are all in flight at once (rbd_aio_open_read_only), so
/// a refresh costs a few round trips per batch instead of a few per image.
/// </summary>
internal static unsafe class RbdImageLister
{
    /// <summary>Opens in flight at once: enough to hide the round trips, few enough to keep memory small.</summary>
    private const int BatchSize = 256;

    public static IReadOnlyList<string> Names(RadosConnection connection) =>
        connection.Call($"listing the RBD images of pool '{connection.PoolName}'", () => ListNames(connection));

    /// <summary>
    /// Every image with capacity and allocation. <paramref name="exactAllocation"/>: the bytes in allocated objects,
    /// from the object map when fast-diff is on; otherwise (or without fast-diff) libvirt's objects × object size.
    /// Images removed meanwhile, or whose header does not answer, are left out (as libvirt does).
    /// </summary>
    public static IReadOnlyList<RbdImageSummary> List(RadosConnection connection, bool exactAllocation) =>
        connection.Call($"listing the RBD images of pool '{connection.PoolName}'", () =>
        {
            var names = ListNames(connection);
            var result = new List<RbdImageSummary>(names.Count);
            for (int start = 0; start < names.Count; start += BatchSize)
                ListBatch(connection, names, start, Math.Min(BatchSize, names.Count - start), exactAllocation, result);
            return (IReadOnlyList<RbdImageSummary>)result;
        });

    private static List<string> ListNames(RadosConnection connection)
    {
        nuint max = 64;
        while (true)
        {
            var specs = new RbdNative.ImageSpec[(int)max];
            fixed (RbdNative.ImageSpec* list = specs)
            {
                int rc = RbdNative.rbd_list2(connection.IoContext, list, ref max);
                if (rc == -RbdErrors.ERANGE) continue;
                if (rc < 0) throw RbdErrors.Failure("Unable to list RBD images", rc);
                var names = new List<string>((int)max);
                for (int i = 0; i < (int)max; i++)
                    names.Add(Marshal.PtrToStringUTF8(list[i].Name) ?? "");
                RbdNative.rbd_image_spec_list_cleanup(list, max);
                return names;
            }
        }
    }

    private static void ListBatch(RadosConnection connection, IReadOnlyList<string> names, int start, int count, bool exactAllocation,
        List<RbdImageSummary> result)
    {
        var handles = new nint[count];
        var completions = new nint[count];
        fixed (nint* images = handles)
        {
            for (int i = 0; i < count; i++)
            {
                RbdErrors.Check(RbdNative.rbd_aio_create_completion(0, 0, out completions[i]), "failed to create an RBD completion");
                int rc = RbdNative.rbd_aio_open_read_only(connection.IoContext, names[start + i], &images[i], null, completions[i]);
                if (rc < 0) throw RbdErrors.Failure($"failed to open the RBD image '{names[start + i]}'", rc);
            }
            var opened = new bool[count];
            for (int i = 0; i < count; i++)
            {
                RbdNative.rbd_aio_wait_for_complete(completions[i]);
                long rc = RbdNative.rbd_aio_get_return_value(completions[i]);
                RbdNative.rbd_aio_release(completions[i]);
                opened[i] = rc >= 0;
                if (rc < 0 && rc != -RbdErrors.ENOENT && rc != -RbdErrors.ETIMEDOUT)
                {
                    CloseAll(handles, opened);
                    throw RbdErrors.Failure($"failed to open the RBD image '{names[start + i]}'", rc);
                }
            }
            try
            {
                for (int i = 0; i < count; i++)
                {
                    if (!opened[i]) continue;
                    var image = RbdImage.Adopt(connection, names[start + i], handles[i]);
                    var stat = image.Stat();
                    ulong allocation = exactAllocation && stat.HasFastDiff
                        ? image.AllocatedBytes(stat.Size)
                        : stat.ObjectSize * stat.ObjectCount;
                    result.Add(new RbdImageSummary(image.Name, stat.Size, allocation));
                }
            }
            finally
            {
                CloseAll(handles, opened);
            }
        }
    }

    /// <summary>Closes the batch's images in parallel too (a close of an image opened read-only is cheap but not free).</summary>
    private static void CloseAll(nint[] handles, bool[] opened)
    {
        var completions = new List<nint>();
        for (int i = 0; i < handles.Length; i++)
        {
            if (!opened[i] || handles[i] == 0) continue;
            if (RbdNative.rbd_aio_create_completion(0, 0, out nint completion) < 0 || RbdNative.rbd_aio_close(handles[i], completion) < 0)
            {
                RbdNative.rbd_close(handles[i]);
                continue;
            }
            completions.Add(completion);
            handles[i] = 0;
        }
        foreach (var completion in completions)
        {
            RbdNative.rbd_aio_wait_for_complete(completion);
            RbdNative.rbd_aio_release(completion);
        }
    }
}
