using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

// Volumes: images listed live, created thin (RBD images always are), cloned copy-on-write through a protected
// snapshot as libvirt does, or copied in full; upload and download move only the data (holes stay holes).
public sealed partial class RbdPoolBackend
{
    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool)
    {
        using var lease = Connect(pool);
        var connection = lease.Connection;
        return RbdImageLister.List(connection, RbdVolumes.ExactAllocation(pool))
            .Select(image => RbdVolumes.Describe(connection.PoolName, image)).ToList();
    }

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name)
    {
        if (name.Length == 0 || name.Contains('/')) return null;
        using var lease = Connect(pool);
        var connection = lease.Connection;
        using var image = RbdImage.TryOpen(connection, name, readOnly: true);
        if (image is null) return null;
        var stat = image.Stat();
        ulong allocation = RbdVolumes.ExactAllocation(pool) && stat.HasFastDiff
            ? image.MeasureAllocated(stat.Size)
            : stat.ObjectSize * stat.ObjectCount;
        return RbdVolumes.Describe(connection.PoolName, new RbdImageSummary(name, stat.Size, allocation));
    }

    /// <summary>Keys and paths are both "pool/image": anything else is not in this pool, and needs no connection to say so.</summary>
    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath)
    {
        string prefix = pool.Source.Name + "/";
        return keyOrPath.StartsWith(prefix, StringComparison.Ordinal) ? FindVolume(pool, keyOrPath[prefix.Length..]) : null;
    }

    /// <summary>
    /// rbd_create with librbd's defaults (format 2, the cluster's default features). Images are thin whatever the
    /// &lt;allocation&gt; says, as in libvirt.
    /// </summary>
    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags,
        ByteProgress? progress, CancellationToken cancel)
    {
        RequireCreatable(volume);
        if (volume.BackingStore is not null)
            throw StorageException.Unsupported("backing storage not supported for rbd volumes");
        using (var lease = Connect(pool)) CreateImage(lease.Connection, volume.Name, volume.Capacity);
        return FindVolume(pool, volume.Name) ?? throw StorageException.Internal($"RBD image '{volume.Name}' vanished after creation");
    }

    /// <summary>
    /// Within the same Ceph pool: libvirt's copy-on-write clone (a protected snapshot of the source — an unchanged one
    /// is reused, else a new "libvirt-N" — and rbd_clone2 with the source's features and striping). From another
    /// pool, or with <see cref="VolumeCreateFlags.FullCopy"/>: a new image holding a copy of the source's data.
    /// </summary>
    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool,
        VolumeDefinition source, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        RequireCreatable(volume);
        if (flags.HasFlag(VolumeCreateFlags.Reflink))
            throw StorageException.Unsupported("reflink is not supported for rbd volumes; a clone within the pool shares data already");
        using var lease = Connect(pool);
        var connection = lease.Connection;
        using var sourceLease = sourcePool.Type == PoolType.Rbd ? Connect(sourcePool) : null;
        bool samePool = sourceLease is not null && ReferenceEquals(sourceLease.Connection, connection);
        if (samePool && !flags.HasFlag(VolumeCreateFlags.FullCopy))
        {
            RbdCloner.CloneCopyOnWrite(connection, source.Name, volume.Name);
            if (volume.Capacity > source.Capacity) ResizeCreated(connection, volume);
        }
        else
        {
            CreateImage(connection, volume.Name, volume.Capacity);
            try
            {
                if (sourceLease is not null)
                    RbdCloner.CopyFromImage(sourceLease.Connection, source.Name, connection, volume.Name, progress, cancel);
                else
                    RbdCloner.CopyFromFile(source, connection, volume.Name, progress, cancel);
            }
            catch
            {
                RemoveQuietly(connection, volume.Name);
                throw;
            }
        }
        return FindVolume(pool, volume.Name) ?? throw StorageException.Internal($"RBD image '{volume.Name}' vanished after creation");
    }

    /// <summary>rbd_remove; with --delete-snapshots first every snapshot (unprotected if needed). An image with snapshots
    /// and no such flag fails as in libvirt ("Directory not empty").</summary>
    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags)
    {
        using var lease = Connect(pool);
        var connection = lease.Connection;
        if (flags.HasFlag(VolumeDeleteFlags.DeleteSnapshots))
        {
            using var image = RbdImage.Open(connection, volume.Name, readOnly: false);
            foreach (var snapshot in image.Snapshots())
            {
                if (image.IsProtected(snapshot.Name)) image.Unprotect(snapshot.Name);
                image.RemoveSnapshot(snapshot.Name);
            }
        }
        int rc = connection.Call($"removing RBD image '{connection.PoolName}/{volume.Name}'",
            () => RbdNative.rbd_remove(connection.IoContext, volume.Name));
        if (rc < 0 && rc != -RbdErrors.ENOENT)
            throw RbdErrors.Failure($"failed to remove volume '{connection.PoolName}/{volume.Name}'", rc);
    }

    /// <summary>rbd_resize; the engine has already applied the shrink and allocation rules.</summary>
    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags)
    {
        using var lease = Connect(pool);
        using var image = RbdImage.Open(lease.Connection, volume.Name, readOnly: false);
        image.Resize(capacity);
    }

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        using var lease = Connect(pool);
        using var image = RbdImage.Open(lease.Connection, volume.Name, readOnly: false);
        RbdTransfer.Upload(image, source, range, progress, cancel);
    }

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        using var lease = Connect(pool);
        using var image = RbdImage.Open(lease.Connection, volume.Name, readOnly: true);
        RbdTransfer.Download(image, destination, range, progress, cancel);
    }

    /// <summary>libvirt's two rbd algorithms: zero writes zeros, trim discards, object by object; others are refused.</summary>
    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        if (algorithm is not (WipeAlgorithm.Zero or WipeAlgorithm.Trim))
            throw StorageException.InvalidArg($"unsupported algorithm {(int)algorithm}");
        using var lease = Connect(pool);
        using var image = RbdImage.Open(lease.Connection, volume.Name, readOnly: false);
        RbdTransfer.Wipe(image, algorithm == WipeAlgorithm.Trim, progress, cancel);
    }

    /// <summary>libvirt's checks before an image is made, with its texts.</summary>
    private static void RequireCreatable(VolumeDefinition volume)
    {
        if (volume.Capacity == 0)
            throw StorageException.NoSupport("volume capacity required for this storage pool");
        if ((volume.Target.Format ?? "raw") != "raw")
            throw StorageException.NoSupport("only RAW volumes are supported by this storage pool");
        if (volume.Target.Encryption is not null)
            throw StorageException.Unsupported("storage pool does not support encrypted volumes");
    }

    private static void CreateImage(RadosConnection connection, string name, ulong capacity)
    {
        int order = 0;
        int rc = connection.Call($"creating RBD image '{connection.PoolName}/{name}'",
            () => RbdNative.rbd_create(connection.IoContext, name, capacity, ref order));
        if (rc < 0) throw RbdErrors.Failure($"failed to create volume '{connection.PoolName}/{name}'", rc);
    }

    private static void ResizeCreated(RadosConnection connection, VolumeDefinition volume)
    {
        try
        {
            using var image = RbdImage.Open(connection, volume.Name, readOnly: false);
            image.Resize(volume.Capacity);
        }
        catch
        {
            RemoveQuietly(connection, volume.Name);
            throw;
        }
    }

    /// <summary>Undoes a half-made image; the error that made it half-made is the one worth reporting.</summary>
    private static void RemoveQuietly(RadosConnection connection, string name)
    {
        try { connection.Call("removing a half-made RBD image", () => RbdNative.rbd_remove(connection.IoContext, name)); }
        catch (StorageException) { }
    }
}
