using System.Buffers.Binary;
using System.Text;

namespace KvmStor.Images.Qcow2;

/// <summary>The fixed header of a qcow2 image plus the header extensions kvmstor understands.</summary>
internal sealed class Qcow2Header
{
    public uint Version;
    public ulong BackingFileOffset;
    public uint BackingFileSize;
    public int ClusterBits;
    public ulong Size;
    public uint CryptMethod;
    public uint L1Size;
    public ulong L1TableOffset;
    public ulong RefcountTableOffset;
    public uint RefcountTableClusters;
    public uint NbSnapshots;
    public ulong SnapshotsOffset;
    public ulong IncompatibleFeatures;
    public ulong CompatibleFeatures;
    public ulong AutoclearFeatures;
    public int RefcountOrder = 4;
    public uint HeaderLength;
    public byte CompressionType;
    public string? BackingFile;
    public string? BackingFormat;

    public int ClusterSize => 1 << ClusterBits;
    public bool ExtendedL2 => (IncompatibleFeatures & Qcow2Format.IncompatExtendedL2) != 0;

    /// <summary>Parses cluster 0 (or at least its first bytes); throws on anything that is not a sane qcow2 header.</summary>
    public static Qcow2Header Parse(ReadOnlySpan<byte> b, string path)
    {
        StorageException Bad(string why) => StorageException.Failed($"'{path}' is not a valid qcow2 image: {why}");
        if (b.Length < Qcow2Format.V2HeaderLength || BinaryPrimitives.ReadUInt32BigEndian(b) != Qcow2Format.Magic)
            throw Bad("bad magic");
        var h = new Qcow2Header
        {
            Version = U32(b, Qcow2Format.OffVersion),
            BackingFileOffset = U64(b, Qcow2Format.OffBackingFileOffset),
            BackingFileSize = U32(b, Qcow2Format.OffBackingFileSize),
            ClusterBits = (int)U32(b, Qcow2Format.OffClusterBits),
            Size = U64(b, Qcow2Format.OffSize),
            CryptMethod = U32(b, Qcow2Format.OffCryptMethod),
            L1Size = U32(b, Qcow2Format.OffL1Size),
            L1TableOffset = U64(b, Qcow2Format.OffL1TableOffset),
            RefcountTableOffset = U64(b, Qcow2Format.OffRefcountTableOffset),
            RefcountTableClusters = U32(b, Qcow2Format.OffRefcountTableClusters),
            NbSnapshots = U32(b, Qcow2Format.OffNbSnapshots),
            SnapshotsOffset = U64(b, Qcow2Format.OffSnapshotsOffset),
            HeaderLength = Qcow2Format.V2HeaderLength,
        };
        if (h.Version != 2 && h.Version != 3)
            throw StorageException.Unsupported($"qcow2 image '{path}' has unsupported version {h.Version}");
        if (h.ClusterBits < 9 || h.ClusterBits > 21)
            throw Bad($"cluster_bits {h.ClusterBits} out of range");
        if (h.Version == 3)
        {
            if (b.Length < Qcow2Format.V3HeaderLength) throw Bad("truncated header");
            h.IncompatibleFeatures = U64(b, Qcow2Format.OffIncompatible);
            h.CompatibleFeatures = U64(b, Qcow2Format.OffCompatible);
            h.AutoclearFeatures = U64(b, Qcow2Format.OffAutoclear);
            h.RefcountOrder = (int)U32(b, Qcow2Format.OffRefcountOrder);
            h.HeaderLength = U32(b, Qcow2Format.OffHeaderLength);
            if (h.RefcountOrder > 6) throw Bad($"refcount_order {h.RefcountOrder} out of range");
            if (h.HeaderLength < Qcow2Format.V3HeaderLength || h.HeaderLength % 8 != 0 || h.HeaderLength > h.ClusterSize)
                throw Bad($"header_length {h.HeaderLength} invalid");
            if (h.HeaderLength > Qcow2Format.OffCompressionType && b.Length > Qcow2Format.OffCompressionType)
                h.CompressionType = b[Qcow2Format.OffCompressionType];
        }
        if (h.Size > (ulong)Qcow2Format.MaxVirtualSize) throw Bad("virtual size too large");
        if (h.BackingFileSize > Qcow2Format.MaxBackingFileNameLength) throw Bad("backing file name too long");
        if ((h.L1TableOffset & (ulong)(h.ClusterSize - 1)) != 0 || (h.RefcountTableOffset & (ulong)(h.ClusterSize - 1)) != 0)
            throw Bad("table offset not cluster aligned");
        if ((ulong)h.L1Size * 8 > Qcow2Format.MaxL1Bytes) throw Bad("L1 table too large");
        if ((ulong)h.RefcountTableClusters << h.ClusterBits > Qcow2Format.MaxRefcountTableBytes) throw Bad("refcount table too large");
        if (h.Size > 0 && h.L1Size < Qcow2Geometry.L1EntriesFor((long)h.Size, h.ClusterBits, h.ExtendedL2))
            throw Bad("L1 table too small for the virtual size");

        h.ParseExtensions(b, path);
        if (h.BackingFileOffset != 0)
        {
            ulong end = h.BackingFileOffset + h.BackingFileSize;
            if (end > (ulong)Math.Min(b.Length, h.ClusterSize)) throw Bad("backing file name outside the first cluster");
            h.BackingFile = Encoding.UTF8.GetString(b.Slice((int)h.BackingFileOffset, (int)h.BackingFileSize));
        }
        return h;
    }

    private void ParseExtensions(ReadOnlySpan<byte> b, string path)
    {
        int pos = (int)HeaderLength;
        int limit = Math.Min(b.Length, ClusterSize);
        if (BackingFileOffset != 0 && BackingFileOffset < (ulong)limit) limit = (int)BackingFileOffset;
        while (pos + 8 <= limit)
        {
            uint type = U32(b, pos);
            uint len = U32(b, pos + 4);
            if (type == Qcow2Format.ExtEnd) return;
            if (pos + 8 + (long)len > limit)
                throw StorageException.Failed($"'{path}' is not a valid qcow2 image: header extension 0x{type:x8} runs past the header area");
            if (type == Qcow2Format.ExtBackingFormat)
                BackingFormat = Encoding.UTF8.GetString(b.Slice(pos + 8, (int)len)).TrimEnd('\0');
            pos += 8 + (int)((len + 7) & ~7u);
        }
    }

    /// <summary>Writes a complete new header (cluster 0) into <paramref name="b"/>, which must be zeroed; returns the bytes used.</summary>
    public int Serialize(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Qcow2Format.Magic);
        HeaderLength = Version == 2 ? (uint)Qcow2Format.V2HeaderLength : Qcow2Format.V3HeaderLength + 8; // 112: room for compression_type, padded
        int pos = (int)HeaderLength;
        if (BackingFormat != null)
        {
            byte[] fmt = Encoding.UTF8.GetBytes(BackingFormat);
            BinaryPrimitives.WriteUInt32BigEndian(b[pos..], Qcow2Format.ExtBackingFormat);
            BinaryPrimitives.WriteUInt32BigEndian(b[(pos + 4)..], (uint)fmt.Length);
            fmt.CopyTo(b[(pos + 8)..]);
            pos += 8 + ((fmt.Length + 7) & ~7);
        }
        pos += 8; // end-of-extensions marker (all zero)
        if (BackingFile != null)
        {
            byte[] name = Encoding.UTF8.GetBytes(BackingFile);
            if (pos + name.Length > b.Length)
                throw StorageException.InvalidArg("Backing file name does not fit into the first cluster; use a bigger cluster size");
            name.CopyTo(b[pos..]);
            BackingFileOffset = (ulong)pos;
            BackingFileSize = (uint)name.Length;
            pos += name.Length;
        }
        W32(b, Qcow2Format.OffVersion, Version);
        W64(b, Qcow2Format.OffBackingFileOffset, BackingFileOffset);
        W32(b, Qcow2Format.OffBackingFileSize, BackingFileSize);
        W32(b, Qcow2Format.OffClusterBits, (uint)ClusterBits);
        W64(b, Qcow2Format.OffSize, Size);
        W32(b, Qcow2Format.OffCryptMethod, CryptMethod);
        W32(b, Qcow2Format.OffL1Size, L1Size);
        W64(b, Qcow2Format.OffL1TableOffset, L1TableOffset);
        W64(b, Qcow2Format.OffRefcountTableOffset, RefcountTableOffset);
        W32(b, Qcow2Format.OffRefcountTableClusters, RefcountTableClusters);
        W32(b, Qcow2Format.OffNbSnapshots, NbSnapshots);
        W64(b, Qcow2Format.OffSnapshotsOffset, SnapshotsOffset);
        if (Version >= 3)
        {
            W64(b, Qcow2Format.OffIncompatible, IncompatibleFeatures);
            W64(b, Qcow2Format.OffCompatible, CompatibleFeatures);
            W64(b, Qcow2Format.OffAutoclear, AutoclearFeatures);
            W32(b, Qcow2Format.OffRefcountOrder, (uint)RefcountOrder);
            W32(b, Qcow2Format.OffHeaderLength, HeaderLength);
            b[Qcow2Format.OffCompressionType] = CompressionType;
        }
        return pos;
    }

    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32BigEndian(b[at..]);
    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64BigEndian(b[at..]);
    private static void W32(Span<byte> b, int at, uint v) => BinaryPrimitives.WriteUInt32BigEndian(b[at..], v);
    private static void W64(Span<byte> b, int at, ulong v) => BinaryPrimitives.WriteUInt64BigEndian(b[at..], v);
}
