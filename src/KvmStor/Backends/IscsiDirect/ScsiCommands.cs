using System.Buffers.Binary;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>What READ CAPACITY(16) says about a LUN.</summary>
/// <param name="LastLba">The address of the last block (the LUN holds LastLba + 1 blocks).</param>
/// <param name="ProvisioningManagement">LBPME: the LUN is thin-provisioned (GET LBA STATUS and UNMAP are meaningful).</param>
/// <param name="UnmappedReadsZero">LBPRZ: an unmapped block reads as zeros.</param>
internal readonly record struct ScsiCapacity(ulong LastLba, uint BlockSize, bool ProvisioningManagement, bool UnmappedReadsZero)
{
    public ulong Blocks => LastLba + 1;
    public ulong Bytes => Blocks * BlockSize;
}

/// <summary>One GET LBA STATUS descriptor: <see cref="Blocks"/> blocks from <see cref="Lba"/>, mapped or not.</summary>
internal readonly record struct LbaStatusExtent(ulong Lba, uint Blocks, bool Deallocated);

/// <summary>
/// The SCSI commands iscsi-direct sends, as CDB bytes (SBC-3/SPC-4 layouts), and the parsers of their answers. Pure
/// byte work, no I/O.
/// </summary>
internal static class ScsiCommands
{
    public const int ReportLunsAllocation = 16 + 8 * 1024;
    public const int InquiryAllocation = 96;
    public const int ReadCapacity16Allocation = 32;
    public const int GetLbaStatusAllocation = 16 + 16 * 64;

    /// <summary>Peripheral device type 0: a direct-access block device (a disk). Others (tgtd's LUN 0 controller) have no capacity.</summary>
    public const int DirectAccessDevice = 0;

    public static byte[] ReportLuns(int allocation)
    {
        var cdb = new byte[12];
        cdb[0] = 0xA0;
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(6), (uint)allocation);
        return cdb;
    }

    public static byte[] Inquiry(int allocation)
    {
        var cdb = new byte[6];
        cdb[0] = 0x12;
        BinaryPrimitives.WriteUInt16BigEndian(cdb.AsSpan(3), (ushort)allocation);
        return cdb;
    }

    /// <summary>SERVICE ACTION IN(16) / READ CAPACITY(16).</summary>
    public static byte[] ReadCapacity16() => ServiceActionIn16(0x10, 0, ReadCapacity16Allocation);

    /// <summary>SERVICE ACTION IN(16) / GET LBA STATUS from <paramref name="lba"/>.</summary>
    public static byte[] GetLbaStatus(ulong lba) => ServiceActionIn16(0x12, lba, GetLbaStatusAllocation);

    public static byte[] Read16(ulong lba, uint blocks) => ReadWrite16(0x88, lba, blocks, 0);

    public static byte[] Write16(ulong lba, uint blocks) => ReadWrite16(0x8A, lba, blocks, 0);

    /// <summary>WRITE SAME(16) of one data-out block over <paramref name="blocks"/> blocks; <paramref name="unmap"/> lets the target deallocate them.</summary>
    public static byte[] WriteSame16(ulong lba, uint blocks, bool unmap) => ReadWrite16(0x93, lba, blocks, unmap ? (byte)0x08 : (byte)0);

    private static byte[] ServiceActionIn16(byte serviceAction, ulong lba, int allocation)
    {
        var cdb = new byte[16];
        cdb[0] = 0x9E;
        cdb[1] = serviceAction;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), (uint)allocation);
        return cdb;
    }

    private static byte[] ReadWrite16(byte opcode, ulong lba, uint blocks, byte flags)
    {
        var cdb = new byte[16];
        cdb[0] = opcode;
        cdb[1] = flags;
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), blocks);
        return cdb;
    }

    /// <summary>
    /// The LUN numbers of a REPORT LUNS answer, in the target's order. Peripheral (00b) and flat (01b) addressing both
    /// give the plain number libiscsi takes back.
    /// </summary>
    public static IReadOnlyList<int> ParseReportLuns(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8) return [];
        int listBytes = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data), (uint)(data.Length - 8));
        var luns = new List<int>(listBytes / 8);
        for (int at = 8; at + 8 <= 8 + listBytes; at += 8)
            luns.Add(((data[at] & 0x3F) << 8) | data[at + 1]);
        return luns;
    }

    /// <summary>Peripheral device type from a standard INQUIRY answer.</summary>
    public static int ParseDeviceType(ReadOnlySpan<byte> data) => data.Length == 0 ? -1 : data[0] & 0x1F;

    public static ScsiCapacity ParseReadCapacity16(ReadOnlySpan<byte> data)
    {
        if (data.Length < 15) throw StorageException.Internal("short READ CAPACITY(16) answer");
        return new ScsiCapacity(BinaryPrimitives.ReadUInt64BigEndian(data), BinaryPrimitives.ReadUInt32BigEndian(data[8..]),
            (data[14] & 0x80) != 0, (data[14] & 0x40) != 0);
    }

    public static IReadOnlyList<LbaStatusExtent> ParseLbaStatus(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8) return [];
        // The parameter length counts the bytes after itself.
        int end = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(data) + 4L, data.Length);
        var extents = new List<LbaStatusExtent>();
        for (int at = 8; at + 16 <= end; at += 16)
            extents.Add(new LbaStatusExtent(BinaryPrimitives.ReadUInt64BigEndian(data[at..]),
                BinaryPrimitives.ReadUInt32BigEndian(data[(at + 8)..]), (data[at + 12] & 0x0F) == 1));
        return extents;
    }
}
