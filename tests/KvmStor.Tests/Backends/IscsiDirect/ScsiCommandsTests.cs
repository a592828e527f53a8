using KvmStor.Backends.IscsiDirect;

namespace KvmStor.Tests.Backends.IscsiDirect;

public sealed class ScsiCommandsTests
{
    [Fact]
    public void Report_luns_decodes_peripheral_and_flat_addressing()
    {
        byte[] answer = new byte[8 + 3 * 8];
        answer[3] = 24; // three 8-byte LUN entries
        answer[8 + 8 + 1] = 1;                      // peripheral: LUN 1
        answer[8 + 16] = 0x41; answer[8 + 16 + 1] = 0x02; // flat: LUN 0x102
        Assert.Equal([0, 1, 258], ScsiCommands.ParseReportLuns(answer));
    }

    [Fact]
    public void Report_luns_ignores_a_list_longer_than_the_buffer()
    {
        byte[] answer = new byte[16];
        answer[2] = 1; // claims 256 bytes of LUNs, only one entry fits
        answer[9] = 7;
        Assert.Equal([7], ScsiCommands.ParseReportLuns(answer));
    }

    [Fact]
    public void Read_capacity_16_gives_blocks_size_and_thin_flags()
    {
        byte[] answer = new byte[32];
        answer[6] = 0x7F; answer[7] = 0xFF;          // last LBA 32767
        answer[10] = 0x02;                           // 512-byte blocks
        answer[14] = 0xC0;                           // LBPME + LBPRZ
        var c = ScsiCommands.ParseReadCapacity16(answer);
        Assert.Equal(32767UL, c.LastLba);
        Assert.Equal(512U, c.BlockSize);
        Assert.Equal(16UL << 20, c.Bytes);
        Assert.True(c.ProvisioningManagement);
        Assert.True(c.UnmappedReadsZero);
    }

    [Fact]
    public void Get_lba_status_descriptors()
    {
        byte[] answer = new byte[8 + 32];
        answer[3] = 4 + 32;                         // parameter length counts from byte 4
        answer[8 + 7] = 0; answer[8 + 11] = 16; answer[8 + 12] = 0;          // LBA 0, 16 blocks, mapped
        answer[24 + 7] = 16; answer[24 + 10] = 1; answer[24 + 12] = 1;       // LBA 16, 256 blocks, deallocated
        Assert.Equal([new LbaStatusExtent(0, 16, false), new LbaStatusExtent(16, 256, true)], ScsiCommands.ParseLbaStatus(answer));
    }

    [Fact]
    public void Cdbs_carry_opcode_lba_and_length_big_endian()
    {
        Assert.Equal([0x8A, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0x10, 0, 0], ScsiCommands.Write16(0x0102, 0x10));
        Assert.Equal(0x08, ScsiCommands.WriteSame16(0, 1, unmap: true)[1]);
        Assert.Equal(0, ScsiCommands.WriteSame16(0, 1, unmap: false)[1]);
        var rc = ScsiCommands.ReadCapacity16();
        Assert.Equal((byte)0x9E, rc[0]);
        Assert.Equal((byte)0x10, rc[1]);
        Assert.Equal((byte)32, rc[13]);
        Assert.Equal([0xA0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0x10, 0, 0], ScsiCommands.ReportLuns(8208));
    }
}
