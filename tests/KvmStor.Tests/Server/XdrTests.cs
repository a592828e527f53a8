using KvmStor.Server.Protocol;
using KvmStor.Server.Xdr;

namespace KvmStor.Tests.Server;

public sealed class XdrTests
{
    [Fact]
    public void A_string_is_length_bytes_and_zero_padding()
    {
        var w = new XdrWriter();
        w.WriteString("rpccap");
        Assert.Equal("0000000672706363617000 00".Replace(" ", ""), Convert.ToHexStringLower(w.Written));
        Assert.Equal("rpccap", new XdrReader(w.WrittenMemory).ReadString());
    }

    [Fact]
    public void A_uuid_is_sixteen_raw_bytes_in_rfc_order()
    {
        var uuid = Guid.Parse("da97e332-7bd1-4c67-84c4-8cb199e45038");
        var w = new XdrWriter();
        w.WriteUuid(uuid);
        Assert.Equal("da97e3327bd14c6784c48cb199e45038", Convert.ToHexStringLower(w.Written));
        Assert.Equal(uuid, new XdrReader(w.WrittenMemory).ReadUuid());
    }

    [Fact]
    public void A_length_over_its_cap_is_refused_before_anything_is_allocated()
    {
        var w = new XdrWriter();
        w.WriteUInt(ProtocolLimits.SecretValueMax + 1u);
        Assert.Throws<XdrException>(() => new XdrReader(w.WrittenMemory).ReadOpaque(ProtocolLimits.SecretValueMax));
        var huge = new XdrWriter();
        huge.WriteUInt(uint.MaxValue);
        Assert.Throws<XdrException>(() => new XdrReader(huge.WrittenMemory).ReadString());
    }

    [Fact]
    public void A_length_beyond_the_payload_and_a_short_payload_are_refused()
    {
        var w = new XdrWriter();
        w.WriteUInt(100);
        w.WriteUInt(0);
        Assert.Throws<XdrException>(() => new XdrReader(w.WrittenMemory).ReadString());
        Assert.Throws<XdrException>(() => new XdrReader(new byte[7]).ReadUHyper());
        Assert.Throws<XdrException>(() => new XdrReader(new byte[3]).ReadInt());
    }

    [Fact]
    public void An_array_count_is_checked_against_its_cap_and_the_bytes_left()
    {
        var w = new XdrWriter();
        w.WriteUInt(ProtocolLimits.ListMax + 1u);
        Assert.Throws<XdrException>(() => new XdrReader(w.WrittenMemory).ReadArrayCount(ProtocolLimits.ListMax, 4));
        var small = new XdrWriter();
        small.WriteUInt(1000);
        Assert.Throws<XdrException>(() => new XdrReader(small.WrittenMemory).ReadArrayCount(ProtocolLimits.ListMax, 4));
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_a_decode_error()
    {
        var w = new XdrWriter();
        w.WriteOpaque([0xff, 0xfe]);
        Assert.Throws<XdrException>(() => new XdrReader(w.WrittenMemory).ReadString());
    }

    [Fact]
    public void A_remote_error_has_libvirts_layout()
    {
        // #060: STORAGE_POOL_LOOKUP_BY_NAME of a missing pool.
        var error = RemoteError.Make(ErrorNumbers.NoStoragePool, ErrorDomains.Storage, "Storage pool not found: ", "no storage pool with matching name 'x'");
        var w = new XdrWriter();
        error.Encode(w);
        var back = RemoteError.Decode(new XdrReader(w.WrittenMemory));
        Assert.Equal(error, back);
        Assert.Equal("Storage pool not found: %s", back.Str1);
        Assert.Equal("Storage pool not found: no storage pool with matching name 'x'", back.Message);
    }
}
