using System.Globalization;
using KvmStor.Backends.Scsi;
using KvmStor.Host;

namespace KvmStor.Tests.Backends.Scsi;

/// <summary>
/// A sysfs and devfs tree under a temp directory laid out as the kernel's documented sysfs ABI and real captures show it
/// (see Recorded/README.md): class/scsi_host and class/fc_host entries are relative links into devices/, LUNs under
/// bus/scsi/devices/H:B:T:L link to …/hostH/targetH:B:T/H:B:T:L with 'type' and 'block/sdX/size', /dev/disk/by-path
/// and by-id hold udev's relative links. Block devices are regular files of the recorded size (sysfs size × 512).
/// </summary>
public sealed class RecordedSysfs : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("kvmstor-scsi-").FullName;
    public HostRoots Roots => new(Path.Combine(Root, "sys"), Path.Combine(Root, "dev"));
    public string Sys => Path.Combine(Root, "sys");
    public string Dev => Path.Combine(Root, "dev");

    public RecordedSysfs()
    {
        Directory.CreateDirectory(Path.Combine(Sys, "class", "scsi_host"));
        Directory.CreateDirectory(Path.Combine(Sys, "class", "fc_host"));
        Directory.CreateDirectory(Path.Combine(Sys, "bus", "scsi", "devices"));
        Directory.CreateDirectory(Path.Combine(Dev, "disk", "by-path"));
        Directory.CreateDirectory(Path.Combine(Dev, "disk", "by-id"));
    }

    /// <summary>A SCSI host at devices/<paramref name="devicePath"/>/hostN (e.g. "pci0000:00/0000:00:1f.2/ata1").</summary>
    public RecordedSysfs ScsiHost(uint host, string devicePath, uint uniqueId, string procName = "ahci")
    {
        string hostDir = HostDevice(devicePath, host);
        string classDir = Path.Combine(hostDir, "scsi_host", $"host{host}");
        Directory.CreateDirectory(classDir);
        Write(Path.Combine(classDir, "unique_id"), uniqueId.ToString(CultureInfo.InvariantCulture));
        Write(Path.Combine(classDir, "proc_name"), procName);
        File.WriteAllText(Path.Combine(classDir, "scan"), "");
        Link(Path.Combine(Sys, "class", "scsi_host", $"host{host}"), classDir);
        return this;
    }

    /// <summary>The fc_host side of a host: WWNs as the kernel prints them ("0x…"), and vport files on an NPIV-capable HBA.</summary>
    public RecordedSysfs FcHost(uint host, string devicePath, string wwnn, string wwpn, string fabric, bool npivCapable,
        int maxVports = 255, int vportsInUse = 0, string portState = "Online")
    {
        string classDir = Path.Combine(HostDevice(devicePath, host), "fc_host", $"host{host}");
        Directory.CreateDirectory(classDir);
        Write(Path.Combine(classDir, "node_name"), "0x" + wwnn);
        Write(Path.Combine(classDir, "port_name"), "0x" + wwpn);
        Write(Path.Combine(classDir, "fabric_name"), "0x" + fabric);
        Write(Path.Combine(classDir, "port_state"), portState);
        Write(Path.Combine(classDir, "port_type"), npivCapable ? "NPort (fabric via point-to-point)" : "NPIV VPORT");
        if (npivCapable)
        {
            Write(Path.Combine(classDir, "max_npiv_vports"), maxVports.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(classDir, "npiv_vports_inuse"), vportsInUse.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(classDir, "vport_create"), "");
            File.WriteAllText(Path.Combine(classDir, "vport_delete"), "");
        }
        Link(Path.Combine(Sys, "class", "fc_host", $"host{host}"), classDir);
        return this;
    }

    /// <summary>A LUN with a block device: sysfs entries plus a device file of <paramref name="sectors"/> × 512 bytes.</summary>
    public RecordedSysfs Lun(string devicePath, uint host, uint bus, uint target, uint lun, int type, string? block, ulong sectors,
        string vendor = "DGC", string model = "VRAID")
    {
        string address = $"{host}:{bus}:{target}:{lun}";
        string lunDir = Path.Combine(HostDevice(devicePath, host), $"target{host}:{bus}:{target}", address);
        Directory.CreateDirectory(lunDir);
        Write(Path.Combine(lunDir, "type"), type.ToString(CultureInfo.InvariantCulture));
        Write(Path.Combine(lunDir, "vendor"), vendor);
        Write(Path.Combine(lunDir, "model"), model);
        if (block is not null)
        {
            string blockDir = Path.Combine(lunDir, "block", block);
            Directory.CreateDirectory(Path.Combine(blockDir, "queue"));
            Write(Path.Combine(blockDir, "size"), sectors.ToString(CultureInfo.InvariantCulture));
            Write(Path.Combine(blockDir, "queue", "logical_block_size"), "512");
            using (var f = File.Create(Path.Combine(Dev, block))) f.SetLength((long)sectors * 512);
        }
        Link(Path.Combine(Sys, "bus", "scsi", "devices", address), lunDir);
        return this;
    }

    /// <summary>A udev link such as disk/by-path/NAME → ../../sdb (relative, as udev makes them).</summary>
    public RecordedSysfs DevLink(string directory, string name, string block)
    {
        string link = Path.Combine(Dev, directory, name);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, Path.Combine(Dev, block)));
        return this;
    }

    /// <summary>A kernel with device-mapper: its misc device in sysfs and the /dev/mapper/control node.</summary>
    public RecordedSysfs DeviceMapper()
    {
        Directory.CreateDirectory(Path.Combine(Sys, "class", "misc", "device-mapper"));
        File.WriteAllText(Path.Combine(Sys, "class", "misc", "device-mapper", "dev"), "10:236\n");
        Directory.CreateDirectory(Path.Combine(Dev, "mapper"));
        File.WriteAllText(Path.Combine(Dev, "mapper", "control"), "");
        return this;
    }

    public string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    private string HostDevice(string devicePath, uint host)
    {
        string dir = Path.Combine(Sys, "devices", devicePath, $"host{host}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void Write(string path, string value) => File.WriteAllText(path, value + "\n");

    private static void Link(string link, string target) =>
        File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, target));
}
