using KvmStor.Model;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>A LUN as a refresh sees it: its number, SCSI device type and, for disks, READ CAPACITY(16)'s answer.</summary>
internal sealed record IscsiLunInfo(int Lun, int DeviceType, ScsiCapacity? Capacity)
{
    /// <summary>
    /// libvirt's volume for the LUN, with the LUN's true size: (last LBA + 1) × block size, what vol-download returns.
    /// libvirt 9.0 takes READ CAPACITY's last LBA for the block count and reports one block less (golden
    /// vol-iscsi-direct-lun); a deliberate difference. Non-disk LUNs are listed with 0.
    /// </summary>
    public VolumeDefinition ToVolume(IscsiPortal portal, string targetIqn)
    {
        ulong size = Capacity is { } c ? c.Bytes : 0;
        string key = portal.VolumeKey(targetIqn, Lun);
        return new VolumeDefinition
        {
            Type = VolumeType.Network,
            Name = IscsiPortal.VolumeName(Lun),
            Key = key,
            Capacity = size,
            Allocation = size,
            HasAllocation = true,
            Target = new VolumeTarget { Path = key },
        };
    }
}

/// <summary>The read-only questions iscsi-direct asks a logged-in target: its LUNs, their type, size and mapping.</summary>
internal static class IscsiLuns
{
    public static IReadOnlyList<int> Report(IscsiSession session)
    {
        var buffer = new byte[ScsiCommands.ReportLunsAllocation];
        var result = session.Execute("REPORT LUNS", 0, ScsiCommands.ReportLuns(buffer.Length), LibIscsi.XferRead, buffer, 0, buffer.Length);
        session.Require(result, "REPORT LUNS", 0);
        return ScsiCommands.ParseReportLuns(buffer);
    }

    public static IscsiLunInfo Describe(IscsiSession session, int lun)
    {
        var inquiry = new byte[ScsiCommands.InquiryAllocation];
        session.Require(session.Execute("INQUIRY", lun, ScsiCommands.Inquiry(inquiry.Length), LibIscsi.XferRead, inquiry, 0, inquiry.Length), "INQUIRY", lun);
        int type = ScsiCommands.ParseDeviceType(inquiry);
        return new IscsiLunInfo(lun, type, type == ScsiCommands.DirectAccessDevice ? ReadCapacity(session, lun) : null);
    }

    public static ScsiCapacity ReadCapacity(IscsiSession session, int lun)
    {
        var buffer = new byte[ScsiCommands.ReadCapacity16Allocation];
        session.Require(session.Execute("READ CAPACITY(16)", lun, ScsiCommands.ReadCapacity16(), LibIscsi.XferRead, buffer, 0, buffer.Length), "READ CAPACITY(16)", lun);
        return ScsiCommands.ParseReadCapacity16(buffer);
    }

    /// <summary>GET LBA STATUS from <paramref name="lba"/>; null when the target does not answer it.</summary>
    public static IReadOnlyList<LbaStatusExtent>? LbaStatus(IscsiSession session, int lun, ulong lba)
    {
        var buffer = new byte[ScsiCommands.GetLbaStatusAllocation];
        var result = session.Execute("GET LBA STATUS", lun, ScsiCommands.GetLbaStatus(lba), LibIscsi.XferRead, buffer, 0, buffer.Length);
        return result.Good ? ScsiCommands.ParseLbaStatus(buffer) : null;
    }

    /// <summary>Every LUN of the target, in REPORT LUNS order.</summary>
    public static IReadOnlyList<IscsiLunInfo> DescribeAll(IscsiSession session) =>
        Report(session).Select(lun => Describe(session, lun)).ToList();
}
