using System.Buffers.Binary;
using System.Text;
using KvmStor.Images;

namespace KvmStor.Tests.Images;

/// <summary>A numeric field of a header: where it sits, how wide it is, which byte order.</summary>
internal readonly record struct HeaderField(string Name, int Offset, int Width, bool BigEndian);

/// <summary>A valid header of one format (as its writer lays it out), what the probe must call it, and its numeric fields.</summary>
internal sealed record HeaderSample(string Name, string Format, byte[] Bytes, string? FileName, IReadOnlyList<HeaderField> Fields)
{
    public override string ToString() => Name;
}

/// <summary>
/// Headers of every format the probe knows (and a LUKS header, which it must call raw), built byte by byte from the
/// formats' specifications, for the probe tests and the fuzz that mutates them.
/// </summary>
internal static class ImageHeaders
{
    public static void BE32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
    public static void BE64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(at), v);
    public static void LE32(byte[] b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    public static void LE64(byte[] b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), v);
    public static void Text(byte[] b, int at, string s) => Encoding.ASCII.GetBytes(s).CopyTo(b, at);

    /// <summary>Writes <paramref name="value"/> into a field, truncated to its width.</summary>
    public static void Write(byte[] b, HeaderField field, ulong value)
    {
        var span = b.AsSpan(field.Offset, field.Width);
        Span<byte> full = stackalloc byte[8];
        if (field.BigEndian)
        {
            BinaryPrimitives.WriteUInt64BigEndian(full, value);
            full[(8 - field.Width)..].CopyTo(span);
        }
        else
        {
            BinaryPrimitives.WriteUInt64LittleEndian(full, value);
            full[..field.Width].CopyTo(span);
        }
    }

    /// <summary>A qcow2 header (version 2 or 3), optionally with a backing name at 0x200 and a backing-format extension.</summary>
    public static byte[] Qcow2(uint version, ulong size, uint clusterBits = 16, string? backing = null, string? backingFormat = null,
        ulong compatible = 0, ulong incompatible = 0, uint crypt = 0, int length = 4096)
    {
        var b = new byte[length];
        b[0] = (byte)'Q'; b[1] = (byte)'F'; b[2] = (byte)'I'; b[3] = 0xFB;
        BE32(b, 4, version);
        BE32(b, 20, clusterBits);
        BE64(b, 24, size);
        BE32(b, 32, crypt);
        BE32(b, 36, 1);             // l1_size
        BE64(b, 40, 3UL << 16);     // l1_table_offset
        BE64(b, 48, 1UL << 16);     // refcount_table_offset
        BE32(b, 56, 1);             // refcount_table_clusters
        int ext = 72;
        if (version == 3)
        {
            BE64(b, 72, incompatible);
            BE64(b, 80, compatible);
            BE32(b, 96, 4);         // refcount_order
            BE32(b, 100, 112);      // header_length (qemu writes 112: the compression type byte and padding)
            ext = 112;
        }
        if (backingFormat is not null)
        {
            BE32(b, ext, 0xE2792ACA);
            BE32(b, ext + 4, (uint)backingFormat.Length);
            Text(b, ext + 8, backingFormat);
            ext += 8 + ((backingFormat.Length + 7) & ~7);
        }
        if (version == 3)
        {
            // A feature name table, as qemu writes one: type, length, then 48-byte entries.
            BE32(b, ext, 0x6803F857);
            BE32(b, ext + 4, 48);
            b[ext + 8] = 0; b[ext + 9] = 0; Text(b, ext + 10, "dirty bit");
            ext += 8 + 48;
        }
        BE32(b, ext, 0); // end of extensions
        if (backing is not null)
        {
            BE64(b, 8, 0x200);
            BE32(b, 16, (uint)backing.Length);
            Text(b, 0x200, backing);
        }
        return b;
    }

    public static byte[] Qcow1(string? backing = "base", ulong size = 10 << 20, uint crypt = 1)
    {
        var b = new byte[4096];
        b[0] = (byte)'Q'; b[1] = (byte)'F'; b[2] = (byte)'I'; b[3] = 0xFB;
        BE32(b, 4, 1);
        if (backing is not null) { BE64(b, 8, 0x100); BE32(b, 16, (uint)backing.Length); Text(b, 0x100, backing); }
        BE64(b, 24, size);
        b[32] = 12; b[33] = 9;      // cluster_bits, l2_bits
        BE32(b, 36, crypt);
        BE64(b, 40, 0x400);         // l1_table_offset
        return b;
    }

    public static byte[] Qed(ulong features = 5, string backing = "raw.img", ulong size = 3UL << 30)
    {
        var b = new byte[4096];
        Text(b, 0, "QED\0");
        LE32(b, 4, 64 * 1024);      // cluster_size
        LE32(b, 8, 4);              // table_size
        LE32(b, 12, 1);             // header_size (clusters)
        LE64(b, 16, features);
        LE64(b, 40, 64 * 1024);     // l1_table_offset
        LE64(b, 48, size);
        LE32(b, 56, 0x300); LE32(b, 60, (uint)backing.Length); Text(b, 0x300, backing);
        return b;
    }

    public static byte[] VmdkSparse(ulong sectors = 2097152, string parent = "parent.vmdk")
    {
        var b = new byte[4096];
        Text(b, 0, "KDMV");
        LE32(b, 4, 1);              // version
        LE32(b, 8, 3);              // flags
        LE64(b, 12, sectors);       // capacity
        LE64(b, 20, 128);           // grainSize
        LE64(b, 28, 1);             // descriptorOffset (sectors)
        LE64(b, 36, 20);            // descriptorSize (sectors)
        LE32(b, 44, 512);           // numGTEsPerGT
        LE64(b, 48, 21);            // rgdOffset
        LE64(b, 56, 200);           // gdOffset
        LE64(b, 64, 384);           // overHead
        Text(b, 512, "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
            + $"parentFileNameHint=\"{parent}\"\ncreateType=\"monolithicSparse\"\n\n# Extent description\nRW {sectors} SPARSE \"x.vmdk\"\n");
        return b;
    }

    /// <summary>A stand-alone VMDK descriptor file: text only, which libvirt (and so kvmstor) probes as raw.</summary>
    public static byte[] VmdkDescriptor()
    {
        var b = new byte[1024];
        Text(b, 0, "# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType=\"twoGbMaxExtentSparse\"\n\n"
            + "# Extent description\nRW 4192256 SPARSE \"disk-s001.vmdk\"\n\nddb.virtualHWVersion = \"4\"\n");
        return b;
    }

    public static byte[] Vdi(ulong size = 1UL << 30)
    {
        var b = new byte[4096];
        Text(b, 0, "<<< Oracle VM VirtualBox Disk Image >>>\n");
        LE32(b, 64, 0xBEDA107F); LE32(b, 68, 0x00010001);
        LE32(b, 72, 400);           // header size
        LE32(b, 76, 1);             // image type: dynamic
        LE32(b, 340, 512);          // offset of the block map
        LE32(b, 344, 2048);         // offset of the data
        LE64(b, 368, size);
        LE32(b, 376, 1 << 20);      // block size
        return b;
    }

    public static byte[] Vpc(ulong size = 5UL << 20)
    {
        var b = new byte[4096];
        Text(b, 0, "conectix");
        BE32(b, 8, 2);              // features
        BE32(b, 12, 0x00010000);    // version
        BE64(b, 16, 512);           // data offset
        Text(b, 28, "qemu");
        BE64(b, 40, size);          // original size
        BE64(b, 48, size);          // current size
        BE32(b, 60, 3);             // disk type: dynamic
        return b;
    }

    public static byte[] Bochs(ulong size = 9UL << 20)
    {
        var b = new byte[4096];
        Text(b, 0, "Bochs Virtual HD Image");
        Text(b, 32, "Redolog"); Text(b, 48, "Growing");
        LE32(b, 64, 0x00020000);    // version
        LE32(b, 68, 512);           // header size
        LE32(b, 72, 64);            // catalog entries
        LE32(b, 76, 4096);          // bitmap size
        LE32(b, 80, 1 << 15);       // extent size
        LE64(b, 88, size);
        return b;
    }

    public static byte[] Cloop()
    {
        var b = new byte[4096];
        Text(b, 0, "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n");
        BE32(b, 128, 65536);        // block size
        BE32(b, 132, 100);          // number of blocks
        return b;
    }

    public static byte[] Cow(string backing = "/base/root_fs", ulong size = 4UL << 30)
    {
        var b = new byte[4096];
        Text(b, 0, "OOOM"); BE32(b, 4, 2); Text(b, 8, backing);
        BE32(b, 1032, 1);           // mtime
        BE64(b, 1036, size);
        BE32(b, 1044, 512);         // sector size
        return b;
    }

    public static byte[] Ploop(ulong sectors = 2048)
    {
        var b = new byte[4096];
        Text(b, 0, "WithouFreSpacExt");
        LE32(b, 16, 2);             // version
        LE32(b, 20, 16);            // heads
        LE32(b, 24, 2048);          // cylinders
        LE32(b, 28, 2048);          // cluster size (sectors)
        LE64(b, 36, sectors);
        return b;
    }

    public static byte[] Iso()
    {
        var b = new byte[FormatProbe.HeaderSize];
        b[32768] = 1; Text(b, 32769, "CD001"); b[32774] = 1;
        Text(b, 32808, "KVMSTOR");
        LE32(b, 32848, 1000); BE32(b, 32852, 1000); // volume space size, both-endian
        return b;
    }

    public static byte[] Luks()
    {
        var b = new byte[4096];
        b[0] = (byte)'L'; b[1] = (byte)'U'; b[2] = (byte)'K'; b[3] = (byte)'S'; b[4] = 0xBA; b[5] = 0xBE;
        b[7] = 1;                   // version 1 (u16 big-endian)
        Text(b, 8, "aes"); Text(b, 40, "xts-plain64"); Text(b, 72, "sha256");
        BE32(b, 104, 4096);         // payload offset
        BE32(b, 108, 64);           // key bytes
        return b;
    }

    /// <summary>Every sample with the format the probe must report for it untouched.</summary>
    public static IReadOnlyList<HeaderSample> All() =>
    [
        new("qcow", "qcow", Qcow1(), null,
            [F("backing_file_offset", 8, 8), F("backing_file_size", 16, 4), F("size", 24, 8), F("crypt_method", 36, 4)]),
        new("qcow2 v2", "qcow2", Qcow2(2, 1UL << 30, backing: "/images/base.qcow2", backingFormat: "qcow2"), null, [.. Qcow2Fields, F("first extension length", 76, 4)]),
        new("qcow2 v3", "qcow2", Qcow2(3, 64 << 20, clusterBits: 21, backing: "base.img", backingFormat: "raw", compatible: 1, incompatible: 1 << 4), null,
            [.. Qcow2Fields, F("incompatible_features", 72, 8), F("compatible_features", 80, 8), F("refcount_order", 96, 4),
             F("header_length", 100, 4), F("extension type", 112, 4), F("extension length", 116, 4), F("next extension length", 132, 4)]),
        new("qed", "qed", Qed(), null,
            [L("cluster_size", 4, 4), L("header_size", 12, 4), L("features", 16, 8), L("image_size", 48, 8),
             L("backing_filename_offset", 56, 4), L("backing_filename_size", 60, 4)]),
        new("vmdk sparse", "vmdk", VmdkSparse(), null,
            [L("version", 4, 4), L("capacity", 12, 8), L("grainSize", 20, 8), L("descriptorOffset", 28, 8), L("descriptorSize", 36, 8), L("gdOffset", 56, 8)]),
        new("vmdk descriptor", "raw", VmdkDescriptor(), "disk.vmdk", []),
        new("vdi", "vdi", Vdi(), null, [L("signature", 64, 4), L("version", 68, 4), L("header size", 72, 4), L("disk size", 368, 8)]),
        new("vpc", "vpc", Vpc(), null, [F("version", 12, 4), F("data offset", 16, 8), F("original size", 40, 8), F("current size", 48, 8)]),
        new("bochs", "bochs", Bochs(), null, [L("version", 64, 4), L("header size", 68, 4), L("disk size", 88, 8)]),
        new("cloop", "cloop", Cloop(), null, [F("block size", 128, 4), F("blocks", 132, 4)]),
        new("cow", "cow", Cow(), null, [F("version", 4, 4), F("size", 1036, 8), F("sector size", 1044, 4)]),
        new("ploop", "ploop", Ploop(), null, [L("version", 16, 4), L("sectors", 36, 8)]),
        new("iso", "iso", Iso(), null, [L("volume space size", 32848, 4)]),
        new("dmg", "dmg", new byte[4096], "mac.dmg", []),
        new("luks", "raw", Luks(), null, [F("version", 6, 2), F("payload offset", 104, 4), F("key bytes", 108, 4)]),
    ];

    private static HeaderField[] Qcow2Fields =>
    [
        F("backing_file_offset", 8, 8), F("backing_file_size", 16, 4), F("cluster_bits", 20, 4), F("size", 24, 8),
        F("crypt_method", 32, 4), F("l1_size", 36, 4), F("l1_table_offset", 40, 8), F("nb_snapshots", 60, 4),
    ];

    private static HeaderField F(string name, int offset, int width) => new(name, offset, width, BigEndian: true);
    private static HeaderField L(string name, int offset, int width) => new(name, offset, width, BigEndian: false);
}
