using KvmStor.Backends.Fs;
using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Vstorage;

/// <summary>
/// A Virtuozzo Storage cluster mounted on the target directory by vstorage-mount (FUSE); running iff the mount table
/// shows "vstorage://&lt;cluster&gt;" there. Build and delete handle the target directory, and the volumes are files in
/// it, exactly as in a dir pool.
/// </summary>
public sealed class VstoragePoolBackend : FileVolumePoolBackend, IPoolStarter, IPoolStopper
{
    private readonly string _mountTablePath;
    private readonly Func<uint, string> _userName;
    private readonly Func<uint, string> _groupName;

    /// <param name="runner">Runs vstorage-mount and umount (tests replay them).</param>
    /// <param name="mountTablePath">The mount table; /proc/self/mounts on a host.</param>
    /// <param name="userName">Names a uid for -u (the C library's lookup unless given).</param>
    /// <param name="groupName">Names a gid for -g.</param>
    public VstoragePoolBackend(ICommandRunner runner, string? mountTablePath = null,
        Func<uint, string>? userName = null, Func<uint, string>? groupName = null)
        : base(runner)
    {
        _mountTablePath = mountTablePath ?? MountTable.DefaultPath;
        _userName = userName ?? AccountNames.User;
        _groupName = groupName ?? AccountNames.Group;
    }

    public override PoolType Type => PoolType.Vstorage;

    public override bool CheckActive(PoolDefinition pool) => IsMounted(pool);

    /// <summary>Makes the target directory, as for a dir pool (--overwrite / --no-overwrite have nothing to format, as there).</summary>
    public override void Build(PoolDefinition pool, PoolBuildFlags flags) => LocalTargetDirectory.Build(pool);

    public void Start(PoolDefinition pool)
    {
        if (IsMounted(pool)) return;
        var command = VstorageMountCommand.Mount(pool, _userName, _groupName, AccountNames.EffectiveUserId, AccountNames.EffectiveGroupId);
        if (!Runner.Exists(command.Program))
            throw StorageException.Internal(
                $"Cannot find '{command.Program}' in path: the Virtuozzo Storage client (vstorage-client) is not installed");
        // The FUSE client waits for the cluster's metadata servers: bounded like every network wait.
        Runner.RunChecked(command.Within(CommandTimeLimit.Network(command.ToString())));
    }

    public void Stop(PoolDefinition pool)
    {
        if (!IsMounted(pool)) return;
        Runner.RunChecked(VstorageMountCommand.Unmount(pool));
    }

    private bool IsMounted(PoolDefinition pool) =>
        MountTable.Read(_mountTablePath).IsMounted(VstorageMountCommand.FileSystemName(pool), LocalTargetDirectory.RequirePath(pool));
}
