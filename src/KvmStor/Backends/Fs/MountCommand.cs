using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Fs;

/// <summary>
/// The mount and umount command lines of fs and netfs pools, argument for argument as libvirt builds them
/// (storagepoolxml2argvdata is the judge).
/// </summary>
public static class MountCommand
{
    /// <summary>Where Debian's libvirt runs them from; shown in "Child process (…)" errors.</summary>
    public const string MountProgram = "/bin/mount";
    public const string UmountProgram = "/bin/umount";

    /// <summary>The options every pool mount gets on Linux: guests' images need no device nodes, setuid or executables.</summary>
    public const string DefaultOptions = "nodev,nosuid,noexec";

    /// <summary>
    /// What the mount table shows as the pool's fsname: the device of an fs pool, "host:dir" for NFS and GlusterFS,
    /// "//host/dir" for CIFS.
    /// </summary>
    public static string PoolSource(PoolDefinition pool)
    {
        if (pool.Type != PoolType.NetFs)
            return pool.Source.Devices.FirstOrDefault()?.Path ?? throw StorageException.Internal("missing source device");
        string host = pool.Source.Hosts.FirstOrDefault()?.Name ?? throw StorageException.Internal("missing source host");
        return NetFormat(pool) == "cifs" ? $"//{host}/{pool.Source.Dir}" : $"{host}:{pool.Source.Dir}";
    }

    /// <summary>mount [-o options] [-t type] source target. netfs "auto" leaves the type to mount(8).</summary>
    public static CommandLine Mount(PoolDefinition pool)
    {
        string target = LocalPath(pool);
        string source = PoolSource(pool);
        var args = new List<string>();
        if (pool.Type == PoolType.NetFs)
        {
            string format = NetFormat(pool);
            string? typeOption = format switch { "glusterfs" => "direct-io-mode=1", "cifs" => "guest", _ => null };
            AddOptions(args, pool, typeOption);
            if (format != "auto") args.AddRange(["-t", format]);
        }
        else
        {
            AddOptions(args, pool, null);
            args.AddRange(["-t", pool.Source.Format ?? "auto"]);
        }
        args.Add(source);
        args.Add(target);
        return new CommandLine(MountProgram, args);
    }

    public static CommandLine Unmount(PoolDefinition pool) => new(UmountProgram, LocalPath(pool));

    /// <summary>
    /// Beyond libvirt: detaches the mount at once without looking at it (--no-canonicalize: no stat of the mount
    /// point; --lazy: no wait for the filesystem). For a mount whose server no longer answers, where plain umount
    /// blocks in its first stat.
    /// </summary>
    public static CommandLine DetachUnresponsive(PoolDefinition pool) => new(UmountProgram, "--lazy", "--no-canonicalize", LocalPath(pool));

    /// <summary>-o: the defaults, the type's own option, nfsvers=, then the user's fs:mount_opts, in that order.</summary>
    private static void AddOptions(List<string> args, PoolDefinition pool, string? typeOption)
    {
        var options = new List<string> { DefaultOptions };
        if (typeOption is not null) options.Add(typeOption);
        if (pool.Source.ProtocolVersion is { } version) options.Add("nfsvers=" + version);
        options.AddRange(pool.MountOptions);
        args.AddRange(["-o", string.Join(',', options)]);
    }

    private static string NetFormat(PoolDefinition pool) => pool.Source.Format ?? "auto";

    private static string LocalPath(PoolDefinition pool) =>
        pool.TargetPath ?? throw StorageException.Xml("missing storage pool target path");
}
