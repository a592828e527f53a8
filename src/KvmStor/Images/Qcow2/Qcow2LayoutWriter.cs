using System.Buffers.Binary;
using System.Numerics;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images.Qcow2;

/// <summary>
/// Lays out a fresh image: header (cluster 0), refcount table, refcount blocks, L1 table and, with preallocation,
/// every L2 table followed by the data area in guest order. All clusters get refcount 1 and COPIED entries.
/// </summary>
internal sealed class Qcow2LayoutWriter
{
    private const int RefcountOrder = 4; // 16-bit refcounts, as qemu writes by default

    private readonly Qcow2CreateOptions _options;
    private readonly Qcow2Geometry _geo;
    private readonly long _size, _l1Entries, _l1Clusters, _l2Tables, _dataClusters, _rtClusters, _rbClusters;

    public Qcow2LayoutWriter(Qcow2CreateOptions options)
    {
        options.Validate();
        _options = options;
        _geo = new Qcow2Geometry(BitOperations.Log2((uint)options.ClusterSize), options.ExtendedL2, RefcountOrder);
        _size = (options.VirtualSize + 511) & ~511L;
        _l1Entries = Qcow2Geometry.L1EntriesFor(_size, _geo.ClusterBits, options.ExtendedL2);
        if (_l1Entries * 8 > Qcow2Format.MaxL1Bytes)
            throw StorageException.InvalidArg($"Virtual size {options.VirtualSize} is too large for cluster size {options.ClusterSize}");
        _l1Clusters = _geo.ClustersFor(_l1Entries * 8); // qemu counts L1 clusters by l1_size: none for an empty disk
        bool prealloc = options.Preallocation != Qcow2Preallocation.Off;
        _dataClusters = prealloc ? _geo.ClustersFor(_size) : 0;
        _l2Tables = prealloc ? _l1Entries : 0;

        long fixedClusters = 1 + _l1Clusters + _l2Tables + _dataClusters;
        _rtClusters = 1;
        while (true)
        {
            long blocks = (fixedClusters + _rtClusters + _rbClusters + _geo.RefcountBlockEntries - 1) / _geo.RefcountBlockEntries;
            long tableClusters = Math.Max(1, _geo.ClustersFor(blocks * 8));
            if (blocks == _rbClusters && tableClusters == _rtClusters) break;
            _rbClusters = blocks;
            _rtClusters = tableClusters;
        }
        if (_rtClusters << _geo.ClusterBits > Qcow2Format.MaxRefcountTableBytes)
            throw StorageException.InvalidArg($"Preallocation of {options.VirtualSize} bytes needs a refcount table beyond qcow2's limit; use a bigger cluster size");
    }

    public long TotalClusters => 1 + _rtClusters + _rbClusters + _l1Clusters + _l2Tables + _dataClusters;
    public long FileLength => TotalClusters << _geo.ClusterBits;
    private long RefcountTableOffset => 1L << _geo.ClusterBits;
    private long RefcountBlocksOffset => (1 + _rtClusters) << _geo.ClusterBits;
    private long L1Offset => (1 + _rtClusters + _rbClusters) << _geo.ClusterBits;
    private long L2Offset => L1Offset + (_l1Clusters << _geo.ClusterBits);
    private long DataOffset => L2Offset + (_l2Tables << _geo.ClusterBits);

    /// <summary>
    /// Writes the whole layout into an empty file. Only meaningful bytes are written; the rest stays a hole,
    /// which reads as zeros, so big clusters do not cost disk space.
    /// </summary>
    public void WriteTo(SafeFileHandle file)
    {
        int cs = _geo.ClusterSize;
        WriteHeader(file);

        var refTable = new ulong[_rbClusters];
        for (long i = 0; i < _rbClusters; i++) refTable[i] = (ulong)(RefcountBlocksOffset + (i << _geo.ClusterBits));
        Qcow2FileIo.WriteTable(file, RefcountTableOffset, refTable);

        var block = new byte[cs];
        for (long b = 0; b < _rbClusters; b++)
        {
            block.AsSpan().Clear();
            long first = b * _geo.RefcountBlockEntries;
            long count = Math.Min(_geo.RefcountBlockEntries, TotalClusters - first);
            for (int i = 0; i < count; i++) BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan(i * 2), 1);
            Qcow2FileIo.Write(file, RefcountBlocksOffset + (b << _geo.ClusterBits), block.AsSpan(0, (int)count * 2));
        }

        WriteL1(file);
        WriteL2Tables(file);
        RandomAccess.SetLength(file, FileLength);
        if (_options.Preallocation == Qcow2Preallocation.Full)
            Qcow2FileIo.WriteZeros(file, DataOffset, _dataClusters << _geo.ClusterBits);
    }

    private void WriteHeader(SafeFileHandle file)
    {
        var h = new Qcow2Header
        {
            Version = (uint)_options.Version,
            ClusterBits = _geo.ClusterBits,
            Size = (ulong)_size,
            L1Size = (uint)_l1Entries,
            L1TableOffset = (ulong)L1Offset,
            RefcountTableOffset = (ulong)RefcountTableOffset,
            RefcountTableClusters = (uint)_rtClusters,
            RefcountOrder = RefcountOrder,
            IncompatibleFeatures = _options.ExtendedL2 ? Qcow2Format.IncompatExtendedL2 : 0,
            CompatibleFeatures = _options.LazyRefcounts ? Qcow2Format.CompatLazyRefcounts : 0,
            BackingFile = _options.BackingFile,
            BackingFormat = _options.BackingFormat,
        };
        var cluster0 = new byte[_geo.ClusterSize];
        int used = h.Serialize(cluster0);
        Qcow2FileIo.Write(file, 0, cluster0.AsSpan(0, used));
    }

    private void WriteL1(SafeFileHandle file)
    {
        if (_l2Tables == 0) return; // an empty L1 table is all zeros: left as a hole
        // Written in cluster-sized pieces so huge L1 tables do not need one huge buffer.
        int perCluster = _geo.ClusterSize / 8;
        for (long c = 0; c < _l1Clusters; c++)
        {
            var chunk = new ulong[Math.Min(perCluster, _l1Entries - c * perCluster)];
            for (int i = 0; i < chunk.Length; i++)
                chunk[i] = (ulong)(L2Offset + ((c * perCluster + i) << _geo.ClusterBits)) | Qcow2Format.FlagCopied;
            Qcow2FileIo.WriteTable(file, L1Offset + (c << _geo.ClusterBits), chunk);
        }
    }

    private void WriteL2Tables(SafeFileHandle file)
    {
        // With a backing file the clusters are reserved but their subclusters stay unallocated, so the backing shows through.
        ulong bitmap = _options.BackingFile == null ? 0xFFFF_FFFFUL : 0;
        int width = _geo.L2EntrySize / 8;
        for (long t = 0; t < _l2Tables; t++)
        {
            long used = Math.Min(_geo.L2Entries, _dataClusters - t * _geo.L2Entries);
            var table = new ulong[used * width];
            for (int i = 0; i < used; i++)
            {
                long guestCluster = t * _geo.L2Entries + i;
                table[i * width] = (ulong)(DataOffset + (guestCluster << _geo.ClusterBits)) | Qcow2Format.FlagCopied;
                if (width == 2) table[i * width + 1] = bitmap;
            }
            Qcow2FileIo.WriteTable(file, L2Offset + (t << _geo.ClusterBits), table);
        }
    }
}
