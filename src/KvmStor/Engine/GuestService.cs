using System.Xml.Linq;
using KvmStor.Guests;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Engine;

/// <summary>
/// Guests: definitions (define, undefine, list, dumpxml), disks (attach, detach, list), who uses a pool or volume, and
/// the qemu command line that opens a guest's disks. kvmstor never runs guests: every guest is a persistent, shut-off
/// definition, so --config, --persistent and --current all change the same thing.
/// </summary>
public sealed class GuestService
{
    private readonly PoolRecords _records;
    private readonly EngineLocks _locks;
    private readonly SecretService _secrets;
    private readonly Lookups _lookup;
    private GuestStore? _store;

    internal GuestService(PoolRecords records, EngineLocks locks, SecretService secrets, Lookups lookup)
    {
        _records = records;
        _locks = locks;
        _secrets = secrets;
        _lookup = lookup;
    }

    /// <summary>Where guest definitions live (kvmstor's own store, KVMSTOR_GUEST_DIR, or <see cref="UseDirectory"/>).</summary>
    public GuestStore Store => _store ??= OpenStore(GuestStore.DefaultDirectory(_records.Paths));

    /// <summary>Points this connection at another directory of definitions, e.g. a libvirt host's /etc/libvirt/qemu.</summary>
    public void UseDirectory(string directory) => _store = OpenStore(directory);

    private GuestStore OpenStore(string directory)
    {
        string full = Path.GetFullPath(directory);
        return new GuestStore(full, _locks.GuestDirectoryLockFile(full));
    }

    /// <summary>Names of the defined guests (of this connection's guest directory).</summary>
    public IReadOnlyList<string> Names() => Store.Names();

    public IReadOnlyList<GuestInfo> List()
    {
        var guests = new List<GuestInfo>();
        foreach (var name in Store.Names())
        {
            DomainDocument? domain;
            try { domain = Store.Load(name); }
            catch (StorageException) { continue; } // a broken file is not a guest; dumpxml on it shows why
            if (domain is not null) guests.Add(new GuestInfo(domain.Name, domain.Uuid ?? Guid.Empty));
        }
        return guests;
    }

    /// <summary>A defined guest by name, then by UUID (the rule behind <see cref="Lookups.Guest"/>).</summary>
    internal GuestInfo Find(string nameOrUuid)
    {
        if (Store.Load(nameOrUuid) is { } byName) return new GuestInfo(byName.Name, byName.Uuid ?? Guid.Empty);
        if (Guid.TryParse(nameOrUuid, out var uuid) && List().FirstOrDefault(g => g.Uuid == uuid) is { } byUuid)
            return byUuid;
        throw NoGuest(nameOrUuid);
    }

    /// <summary>A defined guest's name, uuid, OS type, memory and vcpus, as the server's domain calls report them.</summary>
    public GuestSummary Summary(string name)
    {
        var domain = RequireGuest(name);
        return new GuestSummary(domain.Name, domain.Uuid ?? Guid.Empty, domain.OsType, domain.Arch, domain.Machine,
            domain.MemoryKiB, domain.CurrentMemoryKiB, domain.Vcpus);
    }

    /// <summary>define: stores the definition as given (plus a uuid if it has none); replaces a guest of the same name and uuid.</summary>
    public GuestInfo Define(string xml)
    {
        var domain = DomainDocument.Parse(xml);
        CheckUniqueTargets(domain.Disks);
        using var guestLock = Store.Lock();
        var existing = Store.Load(domain.Name);
        if (domain.Uuid is null) domain.EnsureUuid(existing?.Uuid ?? Guid.NewGuid());
        var uuid = domain.Uuid!.Value;
        if (existing is not null && existing.Uuid != uuid)
            throw StorageException.Failed($"domain '{domain.Name}' is already defined with uuid {existing.Uuid}");
        foreach (var other in List())
            if (other.Uuid == uuid && other.Name != domain.Name)
                throw StorageException.Failed($"domain '{other.Name}' already exists with uuid {uuid}");
        Store.Save(domain);
        return new GuestInfo(domain.Name, uuid);
    }

    public void Undefine(string name)
    {
        using var guestLock = Store.Lock();
        var domain = RequireGuest(name);
        Store.Delete(domain.Name);
    }

    /// <summary>The definition exactly as stored.</summary>
    public string GetXml(string name) => Store.ReadXml(name) ?? throw NoGuest(name);

    public IReadOnlyList<DiskDefinition> Disks(string name) => RequireGuest(name).Disks;

    /// <summary>
    /// Builds the &lt;disk&gt; attach-disk would add, without adding it (--print-xml); resolves --pool/--vol and picks
    /// the target name when none is given.
    /// </summary>
    public string BuildDiskXml(string guest, DiskAttachRequest request) =>
        DomainXmlText(PrepareDisk(RequireGuest(guest), request));

    public DiskDefinition AttachDisk(string guest, DiskAttachRequest request)
    {
        using var guestLock = Store.Lock();
        var domain = RequireGuest(guest);
        var element = PrepareDisk(domain, request);
        domain.AddDisk(element);
        Store.Save(domain);
        return DiskDefinition.FromElement(element);
    }

    /// <summary>
    /// detach-disk: removes the disk whose target name, source path or pool/volume is <paramref name="targetOrSource"/>;
    /// null (and nothing written) when no disk matches.
    /// </summary>
    public DiskDefinition? DetachDisk(string guest, string targetOrSource)
    {
        using var guestLock = Store.Lock();
        var domain = RequireGuest(guest);
        var disks = domain.Disks;
        int index = FindDisk(disks, targetOrSource);
        if (index < 0) return null;
        domain.RemoveDisk(domain.DiskElementAt(index));
        Store.Save(domain);
        return disks[index];
    }

    /// <summary>The &lt;disk&gt; detach-disk would remove, as text (detach-disk --print-xml); null when none matches.</summary>
    public string? GetDiskXml(string guest, string targetOrSource)
    {
        var domain = RequireGuest(guest);
        int index = FindDisk(domain.Disks, targetOrSource);
        return index < 0 ? null : DomainDocument.FormatElement(domain.DiskElementAt(index)) + "\n";
    }

    private static int FindDisk(IReadOnlyList<DiskDefinition> disks, string key)
    {
        for (int i = 0; i < disks.Count; i++)
            if (disks[i].TargetDev == key) return i;
        for (int i = 0; i < disks.Count; i++)
            if (disks[i].SourcePath == key || disks[i].SourceName == key
                || (disks[i].SourceVolume is not null && $"{disks[i].SourcePool}/{disks[i].SourceVolume}" == key))
                return i;
        return -1;
    }

    /// <summary>
    /// The protection check: which defined guests use a pool (volume null) or one of its volumes. Matches
    /// &lt;disk type='volume'&gt; by pool and volume name, and file/block disks by path for pools whose volumes' paths
    /// show their pool (<see cref="PoolTypeInfo.GuestDiskPaths"/>). Takes no pool lock, so callers may hold theirs.
    /// </summary>
    public IReadOnlyList<GuestDiskUse> Using(string poolName, string? volumeName = null)
    {
        string? targetPath = PathBasedPool(poolName);
        var uses = new List<GuestDiskUse>();
        foreach (var name in Store.Names())
        {
            DomainDocument? domain;
            try { domain = Store.Load(name); }
            catch (StorageException) { continue; }
            if (domain is null) continue;
            foreach (var disk in domain.Disks)
            {
                if (disk.Type == "volume" && disk.SourcePool == poolName && (volumeName is null || disk.SourceVolume == volumeName))
                    uses.Add(new GuestDiskUse(domain.Name, disk.TargetDev, poolName, disk.SourceVolume!));
                else if (targetPath is not null && disk.Type is "file" or "block" && disk.SourcePath is { } path
                         && Path.GetDirectoryName(path) == targetPath
                         && (volumeName is null || Path.GetFileName(path) == volumeName))
                    uses.Add(new GuestDiskUse(domain.Name, disk.TargetDev, poolName, Path.GetFileName(path)));
            }
        }
        return uses;
    }

    /// <summary>
    /// Refuses to touch a pool or volume a defined guest uses, naming the guest, unless <paramref name="force"/>.
    /// vol-delete, vol-wipe, vol-resize --shrink, vol-upload, pool-delete and pool-undefine call it first.
    /// </summary>
    public void CheckNotUsed(string poolName, string? volumeName, bool force)
    {
        if (force) return;
        var uses = Using(poolName, volumeName);
        if (uses.Count == 0) return;
        var first = uses[0];
        string what = volumeName is null ? $"storage pool '{poolName}'" : $"storage volume '{volumeName}'";
        string guests = string.Join(", ", uses.Select(u => $"'{u.Guest}' ({u.Target})").Distinct());
        throw new StorageException(ErrorCode.OperationDenied,
            $"{what} is used by guest {guests}; use --force to override");
    }

    /// <summary>domxml-to-native qemu-argv for a defined guest.</summary>
    public IReadOnlyList<string> QemuArgv(string guest) => QemuArgv(RequireGuest(guest));

    /// <summary>domxml-to-native qemu-argv for domain XML that is not defined.</summary>
    public IReadOnlyList<string> QemuArgvFromXml(string xml) => QemuArgv(DomainDocument.Parse(xml));

    private IReadOnlyList<string> QemuArgv(DomainDocument domain) =>
        new QemuArgvBuilder(new DiskSourceResolver(FindPoolVolume, _secrets.ValueFileFor)).Build(domain);

    private PoolVolume FindPoolVolume(string poolName, string volumeName)
    {
        var handle = _lookup.VolumeByName(poolName, volumeName);
        var pool = _records.Require(poolName).Current;
        return new PoolVolume(pool, handle.Volume);
    }

    private string? PathBasedPool(string poolName)
    {
        if (_records.Load(poolName) is not { } record) return null;
        var pool = record.Current;
        return PoolTypeInfo.For(pool.Type).GuestDiskPaths switch
        {
            GuestDiskPaths.TargetDirectory => pool.TargetPath?.TrimEnd('/'),
            GuestDiskPaths.ZvolDirectory => pool.Source.Name is { Length: > 0 } zfsName ? "/dev/zvol/" + zfsName.TrimEnd('/') : null,
            _ => null,
        };
    }

    private XElement PrepareDisk(DomainDocument domain, DiskAttachRequest request)
    {
        string sourceType;
        string? driverType = request.Subdriver;
        if (request.Pool is not null || request.Volume is not null)
        {
            if (request.Pool is null || request.Volume is null)
                throw StorageException.InvalidArg("--pool and --vol must be given together");
            if (request.Source is not null)
                throw StorageException.InvalidArg("a source path and --pool/--vol are mutually exclusive");
            var volume = FindPoolVolume(request.Pool, request.Volume);
            driverType ??= QemuFormatOf(volume.Volume);
            sourceType = "volume";
        }
        else
        {
            if (request.Source is null && request.DeviceType != "cdrom")
                throw StorageException.InvalidArg("a disk source (path, or --pool and --vol) is required");
            sourceType = request.SourceType ?? ProbeSourceType(request.Source);
            if (sourceType is not ("file" or "block" or "network"))
                throw StorageException.InvalidArg($"Unknown source type: '{sourceType}'");
        }

        string device = request.DeviceType ?? "disk";
        if (device is not ("disk" or "cdrom" or "floppy" or "lun"))
            throw StorageException.InvalidArg($"unknown disk device type '{device}'");
        string? bus = request.TargetBus;
        if (bus is not null && !DiskRules.Buses.Contains(bus))
            throw StorageException.Unsupported($"unsupported disk bus '{bus}'");
        string target = request.Target ?? DiskTargetNames.NextFree(bus ??= DefaultBus(device, domain.Machine), domain.Disks.Select(d => d.TargetDev));
        if (domain.Disks.Any(d => d.TargetDev == target))
            throw StorageException.Invalid($"target {target} already exists");

        var element = DiskElementBuilder.Build(request, sourceType, target, bus, driverType);
        DiskRules.Validate(DiskDefinition.FromElement(element), domain.Machine);
        return element;
    }

    private static string DefaultBus(string device, string? machine) => device switch
    {
        "cdrom" => DiskRules.IsQ35(machine) ? "sata" : "ide",
        "lun" => "scsi",
        "floppy" => "fdc",
        _ => "virtio",
    };

    private static string QemuFormatOf(VolumeDefinition volume) => VolumeFormats.QemuDriverType(volume.Target.Format);

    /// <summary>virsh's rule: a block device is attached as type='block', anything else (even missing) as 'file'.</summary>
    private static string ProbeSourceType(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "file";
        return FileSystem.TryStat(path, followLinks: true, out var status, out _) && status.Kind == FileKind.BlockDevice ? "block" : "file";
    }

    private static void CheckUniqueTargets(IReadOnlyList<DiskDefinition> disks)
    {
        var seen = new Dictionary<string, DiskDefinition>(StringComparer.Ordinal);
        foreach (var disk in disks)
        {
            if (seen.TryGetValue(disk.TargetDev, out var first))
                throw StorageException.Xml($"target '{disk.TargetDev}' duplicated for disk sources '{first.SourceDisplay}' and '{disk.SourceDisplay}'");
            seen[disk.TargetDev] = disk;
        }
    }

    private DomainDocument RequireGuest(string name) => Store.Load(name) ?? throw NoGuest(name);

    private static StorageException NoGuest(string name) =>
        new(ErrorCode.None, $"Domain not found: no domain with matching name '{name}'");

    private static string DomainXmlText(XElement disk) => DomainDocument.FormatElement(disk) + "\n";
}
