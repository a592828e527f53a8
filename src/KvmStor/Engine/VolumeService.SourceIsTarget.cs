using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Engine;

// Operations that read one volume (or file) while writing another, when both are the same: a clone onto its own
// name would take the volume's lock twice and wait on itself for ever (holding the pool's lock, so every later
// command on the pool waited too); an upload from the volume's own file reads what it overwrites; a download onto
// it truncates the volume before reading it. Each is refused at once, before anything is locked or written.
public sealed partial class VolumeService
{
    /// <summary>
    /// vol-clone / vol-create-from onto the source's own name: libvirt's "already in use" (the name is taken, by the
    /// source), checked before the volume locks because the target's exclusive lock would wait for the source's.
    /// </summary>
    private static void RefuseCloneOntoSource(string poolName, string name, VolumeHandle source)
    {
        if (source.PoolName == poolName && source.Name == name)
            throw StorageException.Internal($"storage volume name '{name}' already in use.");
    }

    /// <summary>
    /// Refuses a download into the volume's own file (compared by file identity, so any name, link or bind mount of
    /// it counts). A front-end that truncates its output file calls this first, on the file opened without truncation.
    /// </summary>
    public void CheckDownloadDestination(VolumeHandle volume, SafeFileHandle destination)
    {
        if (IsVolumeFile(volume, destination))
            throw StorageException.Invalid($"the file to download into is volume '{volume.Name}' itself");
    }

    private static void RefuseUploadFromItself(VolumeHandle volume, Stream source)
    {
        if (source is FileStream file && IsVolumeFile(volume, file.SafeFileHandle))
            throw StorageException.Invalid($"the file to upload is volume '{volume.Name}' itself");
    }

    private void RefuseDownloadIntoItself(VolumeHandle volume, Stream destination)
    {
        if (destination is FileStream file) CheckDownloadDestination(volume, file.SafeFileHandle);
    }

    private static bool IsVolumeFile(VolumeHandle volume, SafeFileHandle file)
    {
        if (volume.Volume.Target.Path is not { } path || !Path.IsPathRooted(path)) return false; // rbd, gluster, iscsi-direct: no local file
        FileSystemStatus open;
        try { open = FileSystem.Stat(file); }
        catch (FileSystemException) { return false; }
        if (open.Kind is not (FileKind.Regular or FileKind.BlockDevice)) return false; // a pipe or terminal is never a volume
        // A netfs volume's stat waits on the server: bounded like every other look at the mount.
        FileSystemStatus? volumeFile = volume.PoolType == PoolType.NetFs
            ? NetworkTimeout.Run($"volume lookup of '{path}'", () => StatOrNull(path))
            : StatOrNull(path);
        return volumeFile is not null && open.IsSameFileAs(volumeFile);
    }

    private static FileSystemStatus? StatOrNull(string path) =>
        FileSystem.TryStat(path, followLinks: true, out var status, out _) ? status : null;
}
