using KvmStor.Host;
using System.Runtime.InteropServices;

namespace KvmStor.Backends.Rbd;

/// <summary>What rbd_stat and the feature bits say about an image.</summary>
internal readonly record struct RbdImageStat(ulong Size, ulong ObjectSize, ulong ObjectCount, ulong Features, ulong Flags)
{
    /// <summary>libvirt's test: fast-diff is on and its object map is valid, so diffs come from the map, not the OSDs.</summary>
    public bool HasFastDiff => (Features & RbdNative.FeatureFastDiff) != 0 && (Flags & RbdNative.FlagFastDiffInvalid) == 0;
}

/// <summary>A snapshot of an image.</summary>
internal readonly record struct RbdSnapshot(string Name, ulong Size);

/// <summary>
/// An open RBD image. Every call that waits for the cluster goes through <see cref="RadosConnection.Call{T}"/>, so a
/// dead OSD or monitor ends the command within the network bound.
/// </summary>
internal sealed unsafe class RbdImage : IDisposable
{
    private readonly RbdImageHandle _handle;
    private readonly RadosConnection _connection;

    private RbdImage(RadosConnection connection, string name, RbdImageHandle handle)
    {
        _connection = connection;
        Name = name;
        _handle = handle;
    }

    public string Name { get; }

    /// <summary>"pool/image", as libvirt names an image in its messages.</summary>
    public string FullName => $"{_connection.PoolName}/{Name}";

    /// <summary>Opens the image; null when it does not exist.</summary>
    public static RbdImage? TryOpen(RadosConnection connection, string name, bool readOnly)
    {
        nint handle = 0;
        int rc = connection.Call($"opening RBD image '{name}'", () => readOnly
            ? RbdNative.rbd_open_read_only(connection.IoContext, name, out handle, null)
            : RbdNative.rbd_open(connection.IoContext, name, out handle, null));
        if (rc == -RbdErrors.ENOENT) return null;
        if (rc < 0) throw RbdErrors.Failure($"failed to open the RBD image '{name}'", rc);
        return new RbdImage(connection, name, new RbdImageHandle(handle));
    }

    public static RbdImage Open(RadosConnection connection, string name, bool readOnly) =>
        TryOpen(connection, name, readOnly) ?? throw RbdErrors.Failure($"failed to open the RBD image '{name}'", -RbdErrors.ENOENT);

    /// <summary>Wraps an image opened elsewhere (the parallel lister).</summary>
    public static RbdImage Adopt(RadosConnection connection, string name, RbdImageHandle handle) => new(connection, name, handle);

    /// <summary>Size and feature bits: all from the header read at open, so no round trip to the cluster.</summary>
    public RbdImageStat Stat()
    {
        RbdNative.ImageInfo info;
        int rc = RbdNative.rbd_stat(_handle, &info, (nuint)sizeof(RbdNative.ImageInfo));
        if (rc < 0) throw RbdErrors.Failure($"failed to stat the RBD image '{Name}'", rc);
        rc = RbdNative.rbd_get_features(_handle, out ulong features);
        if (rc < 0) throw RbdErrors.Failure($"failed to get the features of RBD image {Name}", rc);
        rc = RbdNative.rbd_get_flags(_handle, out ulong flags);
        if (rc < 0) throw RbdErrors.Failure($"failed to get the flags of RBD image {Name}", rc);
        return new RbdImageStat(info.Size, info.ObjectSize, info.ObjectCount, features, flags);
    }

    /// <summary>The bytes in allocated objects (rbd_diff_iterate2 over the whole image, whole objects, no parent).</summary>
    public ulong AllocatedBytes(ulong size)
    {
        ulong total = 0;
        int rc = RbdNative.rbd_diff_iterate2(_handle, null, 0, size, 0, 1, &CountAllocated, &total);
        if (rc < 0) throw RbdErrors.Failure($"failed to iterate RBD image '{Name}'", rc);
        return total;
    }

    /// <summary>
    /// <see cref="AllocatedBytes"/> within the network bound; after a timeout the image is abandoned like after any
    /// other call on it, so disposing it does not wait in rbd_close for the request that did not come back.
    /// </summary>
    public ulong MeasureAllocated(ulong size) => Call($"measuring RBD image '{FullName}'", () => AllocatedBytes(size));

    /// <summary>
    /// The extents that hold data, in order, in whole objects: with fast-diff that comes from the object map alone,
    /// where a finer answer costs a request per object. Zeros inside an object are found by the reader.
    /// </summary>
    public List<(ulong Offset, ulong Length)> DataExtents(ulong offset, ulong length, bool includeParent)
    {
        var extents = new List<(ulong, ulong)>();
        var handle = GCHandle.Alloc(extents);
        try
        {
            int rc = Call($"listing the data of RBD image '{FullName}'", () =>
                RbdNative.rbd_diff_iterate2(_handle, null, offset, length, includeParent ? (byte)1 : (byte)0, 1, &CollectExtent,
                    (void*)GCHandle.ToIntPtr(handle)));
            if (rc < 0) throw RbdErrors.Failure($"failed to iterate RBD image '{Name}'", rc);
        }
        finally
        {
            handle.Free();
        }
        extents.Sort();
        return extents;
    }

    public void Resize(ulong size)
    {
        int rc = Call($"resizing RBD image '{FullName}'", () => RbdNative.rbd_resize(_handle, size));
        if (rc < 0) throw RbdErrors.Failure($"failed to resize the RBD image '{Name}'", rc);
    }

    /// <summary>
    /// Reads through a native buffer: a call that times out may still be filled by librados later, so its memory must
    /// not be managed memory that moves or is reused. Such a buffer is left to the (ending) process.
    /// </summary>
    public int Read(ulong offset, Span<byte> buffer)
    {
        int length = buffer.Length;
        nint native = (nint)NativeMemory.Alloc((nuint)Math.Max(length, 1));
        long rc = Call($"reading RBD image '{FullName}'", () => (long)RbdNative.rbd_read(_handle, offset, (nuint)length, (byte*)native));
        if (rc > 0) new ReadOnlySpan<byte>((void*)native, (int)rc).CopyTo(buffer);
        NativeMemory.Free((void*)native);
        if (rc < 0) throw RbdErrors.Failure($"reading {length} bytes failed on RBD image {Name} at offset {offset}", rc);
        return (int)rc;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> buffer)
    {
        int length = buffer.Length;
        nint native = (nint)NativeMemory.Alloc((nuint)Math.Max(length, 1));
        buffer.CopyTo(new Span<byte>((void*)native, length));
        long rc = Call($"writing RBD image '{FullName}'", () => (long)RbdNative.rbd_write(_handle, offset, (nuint)length, (byte*)native));
        NativeMemory.Free((void*)native);
        if (rc < 0) throw RbdErrors.Failure($"writing {length} bytes failed on RBD image {Name} at offset {offset}", rc);
    }

    public void Discard(ulong offset, ulong length)
    {
        int rc = Call($"discarding in RBD image '{FullName}'", () => RbdNative.rbd_discard(_handle, offset, length));
        if (rc < 0) throw RbdErrors.Failure($"discarding {length} bytes failed on RBD image {Name} at offset {offset}", rc);
    }

    public void Flush()
    {
        int rc = Call($"flushing RBD image '{FullName}'", () => RbdNative.rbd_flush(_handle));
        if (rc < 0) throw RbdErrors.Failure($"failed to flush RBD image {Name}", rc);
    }

    public ulong StripeCount()
    {
        int rc = RbdNative.rbd_get_stripe_count(_handle, out ulong count);
        if (rc < 0) throw RbdErrors.Failure($"failed to get stripe count of RBD image {Name}", rc);
        return count;
    }

    public IReadOnlyList<RbdSnapshot> Snapshots()
    {
        int max = 16;
        while (true)
        {
            var snaps = new RbdNative.SnapInfo[max + 1];
            fixed (RbdNative.SnapInfo* list = snaps)
            {
                nint pointer = (nint)list;
                int count = Call($"listing snapshots of RBD image '{FullName}'",
                    () => RbdNative.rbd_snap_list(_handle, (RbdNative.SnapInfo*)pointer, ref max));
                if (count == -RbdErrors.ERANGE) continue;
                if (count < 0) throw RbdErrors.Failure($"failed to list the snapshots of RBD image '{FullName}'", count);
                var result = new List<RbdSnapshot>(count);
                for (int i = 0; i < count; i++)
                    result.Add(new RbdSnapshot(Marshal.PtrToStringUTF8(list[i].Name) ?? "", list[i].Size));
                RbdNative.rbd_snap_list_end(list);
                return result;
            }
        }
    }

    public bool IsProtected(string snapshot)
    {
        int rc = Call("querying an RBD snapshot", () => RbdNative.rbd_snap_is_protected(_handle, snapshot, out int isProtected) is var r && r < 0 ? r : isProtected);
        if (rc < 0) throw RbdErrors.Failure($"failed to verify if snapshot '{FullName}@{snapshot}' is protected", rc);
        return rc == 1;
    }

    public void CreateSnapshot(string snapshot) =>
        SnapshotCall(snapshot, RbdNative.rbd_snap_create, $"failed to create RBD snapshot {Name}@{snapshot}");

    public void Protect(string snapshot) =>
        SnapshotCall(snapshot, RbdNative.rbd_snap_protect, $"failed to protect RBD snapshot {Name}@{snapshot}");

    public void Unprotect(string snapshot) =>
        SnapshotCall(snapshot, RbdNative.rbd_snap_unprotect, $"failed to unprotect snapshot '{FullName}@{snapshot}'");

    public void RemoveSnapshot(string snapshot) =>
        SnapshotCall(snapshot, RbdNative.rbd_snap_remove, $"failed to remove snapshot '{FullName}@{snapshot}'");

    /// <summary>Whether the image's data differs from <paramref name="snapshot"/> (libvirt reuses an unchanged snapshot for clones).</summary>
    public bool DiffersFrom(string snapshot, ulong size)
    {
        // Native memory, freed only when the call came back: a timed-out call may still write into it.
        nint flag = (nint)NativeMemory.AllocZeroed(sizeof(int));
        int rc = Call($"comparing RBD image '{FullName}' with a snapshot", () =>
            RbdNative.rbd_diff_iterate2(_handle, snapshot, 0, size, 0, 1, &StopAtFirst, (void*)flag));
        bool differs = *(int*)flag != 0;
        NativeMemory.Free((void*)flag);
        if (rc < 0 && !differs) throw RbdErrors.Failure($"failed to iterate RBD snapshot {Name}@{snapshot}", rc);
        return differs;
    }

    /// <summary>(features, stripe unit, stripe count) for a clone; old-format images cannot be cloned.</summary>
    public (ulong Features, ulong StripeUnit, ulong StripeCount) CloneParameters()
    {
        if (RbdNative.rbd_get_old_format(_handle, out byte old) < 0 || old != 0)
            throw new StorageException(ErrorCode.OperationUnsupported,
                $"RBD image {Name} is old format. Does not support extended features and striping");
        var stat = Stat();
        int rc = RbdNative.rbd_get_stripe_unit(_handle, out ulong unit);
        if (rc < 0) throw RbdErrors.Failure($"failed to get the stripe unit of RBD image {Name}", rc);
        return (stat.Features, unit, StripeCount());
    }

    private void SnapshotCall(string snapshot, Func<RbdImageHandle, string, int> call, string failure)
    {
        int rc = Call($"changing snapshot {FullName}@{snapshot}", () => call(_handle, snapshot));
        if (rc < 0) throw RbdErrors.Failure(failure, rc);
    }

    /// <summary>
    /// A call bounded by the network timeout. After a timeout the image is abandoned, not closed: rbd_close would wait
    /// for the very requests that did not come back. A later call on it (a parallel chunk that raced the timeout)
    /// fails without reaching librbd, with the same timeout error rather than the handle's ObjectDisposedException.
    /// </summary>
    private T Call<T>(string what, Func<T> operation)
    {
        try
        {
            return _connection.Call(what, operation);
        }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout)
        {
            _handle.Abandon();
            throw;
        }
        catch (ObjectDisposedException) when (_handle.IsAbandoned)
        {
            throw NetworkTimeout.TimedOut(what, NetworkTimeout.Limit);
        }
    }

    [UnmanagedCallersOnly]
    private static int CountAllocated(ulong offset, nuint length, int exists, void* argument)
    {
        if (exists != 0) *(ulong*)argument += length;
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int CollectExtent(ulong offset, nuint length, int exists, void* argument)
    {
        if (exists != 0 && GCHandle.FromIntPtr((nint)argument).Target is List<(ulong, ulong)> extents)
            extents.Add((offset, length));
        return 0;
    }

    /// <summary>A negative result stops the iteration: one difference is enough.</summary>
    [UnmanagedCallersOnly]
    private static int StopAtFirst(ulong offset, nuint length, int exists, void* argument)
    {
        *(int*)argument = 1;
        return -1;
    }

    /// <summary>rbd_close, unless the image was abandoned.</summary>
    public void Dispose() => _handle.Dispose();
}
