using KvmStor.Model;

namespace KvmStor.Backends;

// The optional volume-level abilities of a backend. A backend implements the ones it has; the engine asks for them
// through BackendCapabilityTable.Require, which turns a missing one into libvirt's "does not support" error. A backend
// that supports an operation only in part (some formats, some volumes) implements it and refuses the rest itself.

/// <summary>vol-create: creates and builds a volume; returns it as a refresh would list it. Nothing is left behind on failure.</summary>
public interface IVolumeCreator
{
    VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel);
}

/// <summary>vol-create-from / vol-clone: creates a volume whose content is <c>source</c>'s guest-visible content.</summary>
public interface IVolumeCloner
{
    VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel);
}

/// <summary>vol-delete.</summary>
public interface IVolumeDeleter
{
    void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags);
}

/// <summary>vol-resize (the engine has applied libvirt's size rules already).</summary>
public interface IVolumeResizer
{
    void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags);
}

/// <summary>vol-upload.</summary>
public interface IVolumeUploader
{
    void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel);
}

/// <summary>vol-download.</summary>
public interface IVolumeDownloader
{
    void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel);
}

/// <summary>vol-wipe.</summary>
public interface IVolumeWiper
{
    void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel);
}
