using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Fs;

/// <summary>
/// A filesystem on a local block device, mounted on the target directory. Build makes the directory and, only when
/// asked with --overwrite or --no-overwrite, the filesystem (a plain build never runs mkfs, as in libvirt).
/// </summary>
public sealed class FsPoolBackend(ICommandRunner runner, string? mountTablePath = null)
    : MountedPoolBackend(runner, mountTablePath)
{
    public override PoolType Type => PoolType.Fs;

    protected override void Validate(PoolDefinition pool)
    {
        if (pool.Source.Devices.Count == 0) throw StorageException.Internal("missing source device");
        if (pool.Source.Devices.Count > 1) throw StorageException.Unsupported("expected exactly 1 device for the storage pool");
    }

    public override void Build(PoolDefinition pool, PoolBuildFlags flags)
    {
        LocalTargetDirectory.Build(pool);
        bool overwrite = flags.HasFlag(PoolBuildFlags.Overwrite);
        if (!overwrite && !flags.HasFlag(PoolBuildFlags.NoOverwrite)) return;

        string device = RequireDeviceToFormat(pool);
        string format = pool.Source.Format ?? "auto";
        RefuseMountedDevice(device);
        if (!overwrite)
            DeviceProbeDecision.Require(device, format, new DeviceProbe(Runner).Probe(device), writeLabel: true, expectsPartitionTable: false);
        RequireMkfs(format, device);
        Runner.RunChecked(MkfsCommand.Format(format, device));
    }

    public override IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml) => new FsSourceFinder(Runner).FindSources();

    /// <summary>Beyond libvirt: a mounted filesystem is never formatted, not even with --overwrite.</summary>
    private void RefuseMountedDevice(string device)
    {
        if (ReadMountTable().FindDevice(device) is { } mounted)
            throw StorageException.Invalid($"Device '{device}' is mounted on '{mounted.MountPoint}'; unmount it before formatting");
    }

    private void RequireMkfs(string format, string device)
    {
        if (!Runner.Exists(MkfsCommand.Program))
            throw StorageException.Internal(
                $"mkfs is not available on this platform: Failed to make filesystem of type '{format}' on device '{device}'");
        string helper = MkfsCommand.Helper(format);
        if (Runner.Exists(helper)) return;
        string hint = MkfsCommand.DebianPackage(format) is { } package
            ? $" (install the Debian package '{package}')"
            : $" (this host has no tool to make '{format}' filesystems)";
        throw StorageException.Internal(
            $"{helper} not found: Failed to make filesystem of type '{format}' on device '{device}'{hint}");
    }
}
