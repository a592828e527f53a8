using KvmStor.Model;

namespace KvmStor.Guests;

/// <summary>A pool volume with the pool that holds it, as the resolver needs them.</summary>
public sealed record PoolVolume(PoolDefinition Pool, VolumeDefinition Volume);

/// <summary>
/// Resolves each disk source form to the qemu block node that opens it: file and dir sources to 'file', block
/// sources to 'host_device', network sources to their protocol driver, and pool volumes by their pool type's
/// <see cref="PoolTypeInfo.QemuDriver"/> (file-based pools → file, block pools → host_device, iSCSI → the kernel's
/// device or qemu's initiator, rbd → rbd, gluster → gluster).
/// </summary>
/// <param name="secretValueFile">
/// The file holding the value of the secret a pool's &lt;auth&gt; names (base64, 0600): qemu reads CHAP passwords from
/// there through a secret object, so no password is ever on the command line. Null: pools with &lt;auth&gt; are refused.
/// </param>
public sealed class DiskSourceResolver(Func<string, string, PoolVolume> findVolume, Func<PoolDefinition, PoolAuth, string>? secretValueFile = null)
{
    public ResolvedDiskSource Resolve(DiskDefinition disk)
    {
        return disk.Type switch
        {
            "file" => Local("file", disk.SourcePath!, disk.DriverType),
            "block" => Local("host_device", disk.SourcePath!, disk.DriverType),
            "dir" => throw StorageException.Unsupported($"disk '{disk.TargetDev}': directory sources (vvfat) are not supported"),
            "network" => new ResolvedDiskSource(Network(disk), disk.DriverType ?? "raw"),
            "volume" => Volume(disk),
            _ => throw StorageException.Unsupported($"unknown disk type '{disk.Type}'"),
        };
    }

    private static ResolvedDiskSource Local(string driver, string path, string? format) =>
        new(new QemuBlockNode(driver).Set("filename", path), format ?? "raw");

    private ResolvedDiskSource Volume(DiskDefinition disk)
    {
        var (pool, volume) = findVolume(disk.SourcePool!, disk.SourceVolume!);
        string format = disk.DriverType ?? VolumeFormat(pool, volume);
        string? path = volume.Target.Path;
        switch (PoolTypeInfo.For(pool.Type).QemuDriver)
        {
            case QemuVolumeDriver.File:
                return Local("file", RequirePath(path, volume), format);
            case QemuVolumeDriver.HostDevice:
                return Local("host_device", RequirePath(path, volume), format);
            case QemuVolumeDriver.KernelIscsiOrDirect when disk.SourceMode != "direct":
                return Local("host_device", RequirePath(path, volume), format);
            case QemuVolumeDriver.KernelIscsiOrDirect or QemuVolumeDriver.Iscsi:
                return Iscsi(pool, volume, format);
            case QemuVolumeDriver.Rbd:
                var rbd = new QemuBlockNode("rbd").Set("pool", pool.Source.Name ?? "rbd").Set("image", volume.Name);
                AddServers(rbd, pool.Source.Hosts, 6789, withType: false);
                if (pool.Source.Auth is not { } auth) return new(rbd, format);
                // cephx: qemu reads the key from the secret store's own file through a secret object, never inline.
                var (cephxId, cephxObject) = SecretObject(pool, auth, "cephx keys");
                rbd.Set("user", auth.Username).Set("key-secret", cephxId);
                return new(rbd, format) { Objects = [cephxObject] };
            case QemuVolumeDriver.Sheepdog:
                throw NoSheepdogDriver(disk);
            case QemuVolumeDriver.Gluster:
                string dir = (pool.Source.Dir ?? "/").Trim('/');
                var gluster = new QemuBlockNode("gluster").Set("volume", pool.Source.Name ?? "")
                    .Set("path", dir.Length == 0 ? volume.Name : dir + "/" + volume.Name);
                AddServers(gluster, pool.Source.Hosts, 24007, withType: true);
                return new(gluster, format);
            default:
                throw StorageException.Unsupported($"disk '{disk.TargetDev}': volumes of {pool.Type.ToXmlName()} pools cannot be given to qemu");
        }
    }

    // Pool volumes report formats such as 'none' or 'linux' for partitions: those are raw data to qemu.
    private static string VolumeFormat(PoolDefinition pool, VolumeDefinition volume) => VolumeFormats.QemuDriverType(volume.Target.Format);

    private static string RequirePath(string? path, VolumeDefinition volume) =>
        path ?? throw StorageException.Internal($"volume '{volume.Name}' has no path");

    /// <summary>
    /// iSCSI pools name volumes unit:0:0:LUN; the pool's device path is the target IQN. CHAP: qemu's user plus a
    /// password-secret object that reads the secret store's own value file.
    /// </summary>
    private ResolvedDiskSource Iscsi(PoolDefinition pool, VolumeDefinition volume, string format)
    {
        var host = pool.Source.Hosts.FirstOrDefault()
            ?? throw StorageException.Xml($"pool '{pool.Name}' has no source host");
        string iqn = pool.Source.Devices.FirstOrDefault()?.Path
            ?? throw StorageException.Xml($"pool '{pool.Name}' has no source device (target IQN)");
        string lun = volume.Name[(volume.Name.LastIndexOf(':') + 1)..];
        var node = new QemuBlockNode("iscsi").Set("transport", "tcp")
            .Set("portal", $"{host.Name}:{host.Port ?? 3260}").Set("target", iqn).Set("lun", lun);
        if (pool.Source.InitiatorIqn is { } initiator) node.Set("initiator-name", initiator);
        if (pool.Source.Auth is not { Type: AuthType.Chap } auth) return new(node, format);
        var (secretId, secretObject) = SecretObject(pool, auth, "CHAP secrets");
        node.Set("user", auth.Username).Set("password-secret", secretId);
        return new(node, format) { Objects = [secretObject] };
    }

    /// <summary>A qemu secret object reading the value of the secret <paramref name="auth"/> names from its 0600 file.</summary>
    private (string Id, string Object) SecretObject(PoolDefinition pool, PoolAuth auth, string what)
    {
        string file = secretValueFile?.Invoke(pool, auth)
            ?? throw StorageException.Unsupported($"pool '{pool.Name}': {what} cannot be handed to qemu here");
        string secretId = "secret-" + Path.GetFileNameWithoutExtension(file);
        var secret = new QemuBlockNode("secret").Set("id", secretId).Set("format", "base64").Set("file", file);
        // -object takes the same key=value syntax with the object type first: "secret,id=…".
        return (secretId, secret.ToArgument()["driver=".Length..]);
    }

    private static QemuBlockNode Network(DiskDefinition disk)
    {
        string name = disk.SourceName ?? "";
        switch (disk.Protocol)
        {
            case "rbd":
            {
                int slash = name.IndexOf('/');
                if (slash <= 0) throw StorageException.Xml($"disk '{disk.TargetDev}': rbd source name must be pool/image");
                var node = new QemuBlockNode("rbd").Set("pool", name[..slash]).Set("image", name[(slash + 1)..]);
                AddServers(node, disk.Hosts.Select(h => new PoolSourceHost(h.Name, h.Port)).ToList(), 6789, withType: false);
                return node;
            }
            case "gluster":
            {
                int slash = name.IndexOf('/');
                if (slash <= 0) throw StorageException.Xml($"disk '{disk.TargetDev}': gluster source name must be volume/path");
                var node = new QemuBlockNode("gluster").Set("volume", name[..slash]).Set("path", name[(slash + 1)..]);
                AddServers(node, disk.Hosts.Select(h => new PoolSourceHost(h.Name, h.Port)).ToList(), 24007, withType: true);
                return node;
            }
            case "iscsi":
            {
                var host = RequireHost(disk);
                int slash = name.LastIndexOf('/');
                string iqn = slash > 0 ? name[..slash] : name;
                string lun = slash > 0 ? name[(slash + 1)..] : "0";
                return new QemuBlockNode("iscsi").Set("transport", "tcp")
                    .Set("portal", $"{host.Name}:{host.Port ?? 3260}").Set("target", iqn).Set("lun", lun);
            }
            case "nbd":
            {
                var host = RequireHost(disk);
                var node = new QemuBlockNode("nbd").Set("server.type", "inet").Set("server.host", host.Name)
                    .Set("server.port", (host.Port ?? 10809).ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (name.Length > 0) node.Set("export", name);
                return node;
            }
            case "sheepdog":
                throw NoSheepdogDriver(disk);
            case "http" or "https" or "ftp" or "ftps":
            {
                var host = RequireHost(disk);
                string port = host.Port is { } p ? ":" + p : "";
                return new QemuBlockNode(disk.Protocol).Set("url", $"{disk.Protocol}://{host.Name}{port}/{name.TrimStart('/')}");
            }
            default:
                throw StorageException.Unsupported($"disk '{disk.TargetDev}': network protocol '{disk.Protocol}' is not supported");
        }
    }

    /// <summary>qemu dropped its sheepdog block driver in 6.0; the qemu kvmstor targets (7.2) cannot open these volumes.</summary>
    private static StorageException NoSheepdogDriver(DiskDefinition disk) =>
        StorageException.Unsupported(
            $"disk '{disk.TargetDev}': qemu has no sheepdog driver since qemu 6.0 (this host's qemu 7.2 cannot open sheepdog volumes)");

    private static DiskSourceHost RequireHost(DiskDefinition disk) =>
        disk.Hosts.FirstOrDefault() ?? throw StorageException.Xml($"disk '{disk.TargetDev}': missing source host");

    private static void AddServers(QemuBlockNode node, IReadOnlyList<PoolSourceHost> hosts, int defaultPort, bool withType)
    {
        for (int i = 0; i < hosts.Count; i++)
        {
            if (withType) node.Set($"server.{i}.type", "inet");
            node.Set($"server.{i}.host", hosts[i].Name);
            node.Set($"server.{i}.port", (hosts[i].Port ?? defaultPort).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
