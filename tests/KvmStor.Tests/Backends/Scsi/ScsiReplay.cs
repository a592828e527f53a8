using System.Runtime.CompilerServices;
using KvmStor.Backends.Scsi;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Tests.Backends.Scsi;

/// <summary>The recorded outputs in Recorded/ (read from the source tree, next to this file) and the host layouts the tests use.</summary>
public static class ScsiReplay
{
    public const string HbaWwnn = "20000000c9831b4a", HbaWwpn = "10000000c9831b4a";
    public const string VhbaWwnn = "20000000c9831b4b", VhbaWwpn = "10000000c9831b4b";
    public const string Fabric = "2001000dec9877c1";
    public const string AhciPci = "pci0000:00/0000:00:1f.2";
    public const string FcPci = "pci0000:00/0000:00:03.0/0000:04:00.1";
    public const string VhbaPath = FcPci + "/host5/vport-5:0-0";

    public static string Read(string name) => File.ReadAllText(Path.Combine(Directory(), name));

    private static string Directory([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Recorded");

    /// <summary>A runner that answers udev's scsi_id and dmsetup; any other command fails the test.</summary>
    public static ReplayRunner Runner() => new(ScsiSerial.ScsiIdProgram, "dmsetup");

    /// <summary>
    /// A workstation-like AHCI controller: host0 (unique_id 1) with disk sda (8 MiB) and host1 (unique_id 2) with cdrom sr0
    /// (2 MiB), plus the by-path and by-id links udev makes for them (and for a partition, which is no LUN).
    /// </summary>
    public static RecordedSysfs Ahci(this RecordedSysfs sysfs) => sysfs
        .ScsiHost(0, AhciPci + "/ata1", uniqueId: 1)
        .ScsiHost(1, AhciPci + "/ata2", uniqueId: 2)
        .Lun(AhciPci + "/ata1", 0, 0, 0, 0, type: 0, block: "sda", sectors: 16384, vendor: "ATA", model: "QEMU HARDDISK")
        .Lun(AhciPci + "/ata2", 1, 0, 0, 0, type: 5, block: "sr0", sectors: 4096, vendor: "QEMU", model: "QEMU DVD-ROM")
        .DevLink("disk/by-path", "pci-0000:00:1f.2-ata-1", "sda")
        .DevLink("disk/by-path", "pci-0000:00:1f.2-ata-2", "sr0")
        .DevLink("disk/by-id", "ata-QEMU_HARDDISK_QM00001", "sda")
        .DevLink("disk/by-id", "ata-QEMU_DVD-ROM_QM00003", "sr0");

    /// <summary>An NPIV-capable Emulex-style HBA, host5, online on fabric <see cref="Fabric"/>, no vports in use.</summary>
    public static RecordedSysfs FcHba(this RecordedSysfs sysfs, int maxVports = 255, int inUse = 0, string state = "Online") => sysfs
        .ScsiHost(5, FcPci, uniqueId: 0, procName: "lpfc")
        .FcHost(5, FcPci, HbaWwnn, HbaWwpn, Fabric, npivCapable: true, maxVports, inUse, state);

    /// <summary>
    /// The vHBA host6 under host5 with two disk LUNs (sdb 8 MiB, sdc 4 MiB) and an enclosure (type 13, no block
    /// device), and their by-path links.
    /// </summary>
    public static RecordedSysfs Vhba(this RecordedSysfs sysfs) => sysfs
        .ScsiHost(6, VhbaPath, uniqueId: 0, procName: "lpfc")
        .Lun(VhbaPath, 6, 0, 0, 0, type: 0, block: "sdb", sectors: 16384)
        .Lun(VhbaPath, 6, 0, 0, 1, type: 0, block: "sdc", sectors: 8192)
        .Lun(VhbaPath, 6, 0, 1, 0, type: 13, block: null, sectors: 0, vendor: "DGC", model: "ENCLOSURE")
        .DevLink("disk/by-path", "pci-0000:04:00.1-fc-0x5006016844602198-lun-0", "sdb")
        .DevLink("disk/by-path", "pci-0000:04:00.1-fc-0x5006016844602198-lun-1", "sdc")
        // Last, so a vHBA made by the fake kernel is found by its WWNs only once its LUNs are in place.
        .FcHost(6, VhbaPath, VhbaWwnn, VhbaWwpn, Fabric, npivCapable: false);

    public static PoolDefinition Pool(PoolAdapter adapter, string target = "/dev/disk/by-path", string name = "hba0") => new()
    {
        Type = PoolType.Scsi,
        Name = name,
        Uuid = Guid.Parse("e9392370-2917-565e-692b-d057f46512d6"),
        Source = new PoolSource { Adapter = adapter },
        Target = new PoolTarget { Path = target },
    };

    public static PoolAdapter ByName(string name) => new() { Kind = AdapterKind.ScsiHost, Name = name };

    public static PoolAdapter FcAdapter(string? parent = null, bool? managed = null) => new()
    {
        Kind = AdapterKind.FcHost, Wwnn = VhbaWwnn, Wwpn = VhbaWwpn, Parent = parent, Managed = managed,
    };
}
