using System.Globalization;

namespace KvmStor.Guests;

/// <summary>
/// Builds a minimal runnable qemu command line for a guest: machine, memory, cpus, a serial console on stdio,
/// kernel/initrd/cmdline when the definition boots a kernel directly, and every disk as -blockdev nodes plus a
/// -device. The disk part is what matters; the rest is just enough to boot.
/// </summary>
public sealed class QemuArgvBuilder(DiskSourceResolver resolver)
{
    public const string Emulator = "qemu-system-x86_64";

    public IReadOnlyList<string> Build(DomainDocument domain)
    {
        string machine = domain.Machine ?? "pc";
        var argv = new List<string>
        {
            domain.Root.Element("devices")?.Element("emulator")?.Value.Trim() is { Length: > 0 } emulator ? emulator : Emulator,
            "-name", "guest=" + domain.Name.Replace(",", ",,"),
            "-machine", machine,
            // As libvirt: <domain type='kvm'> needs KVM, type='qemu' is plain emulation (TCG).
            "-accel", domain.Type == "kvm" ? "kvm" : "tcg",
            "-m", Math.Max(1UL, domain.MemoryKiB / 1024).ToString(CultureInfo.InvariantCulture),
            "-smp", domain.Vcpus.ToString(CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-serial", "stdio",
        };
        if (domain.Kernel is { } kernel) argv.AddRange(["-kernel", kernel]);
        if (domain.Initrd is { } initrd) argv.AddRange(["-initrd", initrd]);
        if (domain.Cmdline is { } cmdline) argv.AddRange(["-append", cmdline]);
        AddDisks(argv, domain.Disks, machine);
        return argv;
    }

    private void AddDisks(List<string> argv, IReadOnlyList<DiskDefinition> disks, string machine)
    {
        var controllers = new HashSet<string>();
        int sataPort = 0, scsiUnit = 0;
        for (int index = 0; index < disks.Count; index++)
        {
            var disk = disks[index];
            DiskRules.Validate(disk, machine);
            string id = $"disk{index}";
            string? drive = null;
            if (disk.HasSource)
            {
                drive = AddBlockNodes(argv, disk, id);
            }
            else if (disk.Device != "cdrom")
            {
                throw StorageException.Xml($"disk '{disk.TargetDev}' has no source");
            }

            var device = new List<string>();
            switch (disk.Bus)
            {
                case "virtio":
                    device.Add("virtio-blk-pci");
                    break;
                case "scsi":
                    if (controllers.Add("scsi")) argv.AddRange(["-device", "virtio-scsi-pci,id=scsi0"]);
                    device.Add(disk.Device switch { "cdrom" => "scsi-cd", "lun" => "scsi-block", _ => "scsi-hd" });
                    device.Add("bus=scsi0.0");
                    device.Add($"scsi-id={scsiUnit++}");
                    break;
                case "sata":
                    if (!DiskRules.IsQ35(machine) && controllers.Add("sata")) argv.AddRange(["-device", "ahci,id=sata0"]);
                    device.Add(disk.Device == "cdrom" ? "ide-cd" : "ide-hd");
                    device.Add(DiskRules.IsQ35(machine) ? $"bus=ide.{sataPort++}" : $"bus=sata0.{sataPort++}");
                    break;
                case "ide":
                    int letter = Math.Max(0, disk.TargetDev.Length > 2 ? disk.TargetDev[2] - 'a' : 0);
                    device.Add(disk.Device == "cdrom" ? "ide-cd" : "ide-hd");
                    device.Add($"bus=ide.{letter / 2}");
                    device.Add($"unit={letter % 2}");
                    break;
                case "usb":
                    if (controllers.Add("usb")) argv.AddRange(["-device", "qemu-xhci,id=usb"]);
                    device.Add("usb-storage");
                    device.Add("bus=usb.0");
                    break;
                default:
                    throw StorageException.Unsupported($"disk bus '{disk.Bus}' cannot be given to qemu here");
            }
            if (drive is not null) device.Add("drive=" + drive);
            device.Add("id=" + id);
            if (disk.Serial is { } serial) device.Add("serial=" + serial.Replace(",", ",,"));
            if (disk.Wwn is { } wwn && disk.Bus is "scsi" or "sata" or "ide") device.Add("wwn=" + wwn);
            if (disk.Shareable) device.Add("share-rw=on");
            if (CacheFlags(disk.Cache) is { } flags && disk.Device != "lun") device.Add("write-cache=" + (flags.WriteCache ? "on" : "off"));
            argv.AddRange(["-device", string.Join(",", device)]);
        }
    }

    private string AddBlockNodes(List<string> argv, DiskDefinition disk, string id)
    {
        var resolved = resolver.Resolve(disk);
        var protocol = resolved.Protocol;
        if (resolved.SecretFile is { } secretFile)
        {
            // qemu reads the base64 value from the 0600 file; its rbd driver hands it to librados as the key.
            string secretId = id + "-secret";
            argv.AddRange(["-object", $"secret,id={secretId},file={secretFile.Replace(",", ",,")},format=base64"]);
            protocol.Set("key-secret", secretId);
        }
        protocol.Set("node-name", id + "-storage");
        var cache = CacheFlags(disk.Cache);
        ApplyCommon(protocol, disk, cache);
        if (disk.Io is { } io && protocol.Driver is "file" or "host_device") protocol.Set("aio", io);
        argv.AddRange(["-blockdev", protocol.ToArgument()]);

        var format = new QemuBlockNode(resolved.Format).Set("node-name", id + "-format").Set("file", id + "-storage");
        ApplyCommon(format, disk, cache);
        argv.AddRange(["-blockdev", format.ToArgument()]);
        return id + "-format";
    }

    private static void ApplyCommon(QemuBlockNode node, DiskDefinition disk, (bool Direct, bool NoFlush, bool WriteCache)? cache)
    {
        if (cache is { } c)
        {
            node.Set("cache.direct", c.Direct ? "on" : "off");
            node.Set("cache.no-flush", c.NoFlush ? "on" : "off");
        }
        if (disk.ReadOnly || disk.Device == "cdrom") node.Set("read-only", "on");
        node.Set("discard", "unmap");
    }

    /// <summary>libvirt's cache modes as qemu's three switches (O_DIRECT, ignore flushes, guest-visible write cache).</summary>
    private static (bool Direct, bool NoFlush, bool WriteCache)? CacheFlags(string? mode) => mode switch
    {
        "none" => (true, false, true),
        "writeback" => (false, false, true),
        "writethrough" => (false, false, false),
        "directsync" => (true, false, false),
        "unsafe" => (false, true, true),
        null or "default" => null,
        _ => throw StorageException.Xml($"unknown disk cache mode '{mode}'"),
    };
}
