using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images.Qcow2;

/// <summary>
/// The two-level refcount structure of an open image: counts cluster references, hands out new clusters at the end
/// of the file, and grows the refcount table when the file outgrows it. Changed refcount blocks stay cached until
/// <see cref="Flush"/>, which the image calls before it writes any table that refers to the new clusters.
/// </summary>
internal sealed class Qcow2Refcounts
{
    private readonly SafeFileHandle _file;
    private readonly Qcow2Geometry _geo;
    private readonly string _path;
    private readonly Dictionary<long, byte[]> _blocks = new();
    private readonly HashSet<long> _dirtyBlocks = new();
    private ulong[] _table;
    private long _tableOffset;

    /// <summary>Index of the first cluster past everything in use; new clusters are appended here.</summary>
    public long NextFreeCluster { get; private set; }

    public Qcow2Refcounts(SafeFileHandle file, Qcow2Geometry geo, long tableOffset, int tableClusters, string path)
    {
        _file = file;
        _geo = geo;
        _path = path;
        _tableOffset = tableOffset;
        _table = Qcow2FileIo.ReadTable(file, tableOffset, (tableClusters << geo.ClusterBits) / 8);
        NextFreeCluster = Math.Max(geo.ClustersFor(RandomAccess.GetLength(file)), LastUsedCluster() + 1);
    }

    public long TableOffset => _tableOffset;
    public int TableClusters => (int)((long)_table.Length * 8 >> _geo.ClusterBits);

    public ulong Get(long cluster)
    {
        byte[]? block = Block(cluster, create: false);
        return block == null ? 0 : ReadEntry(block, cluster % _geo.RefcountBlockEntries);
    }

    /// <summary>Appends <paramref name="count"/> contiguous clusters with refcount 1; returns the host offset of the first.</summary>
    public long Allocate(int count)
    {
        long first = NextFreeCluster;
        NextFreeCluster += count;
        for (int i = 0; i < count; i++) Change(first + i, +1);
        return first << _geo.ClusterBits;
    }

    /// <summary>Drops one reference from each cluster overlapping [offset, offset+length).</summary>
    public void Release(long hostOffset, long length)
    {
        long first = hostOffset >> _geo.ClusterBits;
        long last = (hostOffset + Math.Max(length, 1) - 1) >> _geo.ClusterBits;
        for (long c = first; c <= last; c++) Change(c, -1);
    }

    public void Change(long cluster, int delta)
    {
        byte[] block = Block(cluster, create: true)!;
        long index = cluster % _geo.RefcountBlockEntries;
        ulong current = ReadEntry(block, index);
        if ((delta < 0 && current == 0) || (delta > 0 && current == _geo.MaxRefcount))
            throw StorageException.Internal($"qcow2 image '{_path}': refcount of cluster {cluster} would leave its range; the image needs 'qemu-img check -r all'");
        WriteEntry(block, index, delta > 0 ? current + 1 : current - 1);
        _dirtyBlocks.Add((long)(_table[cluster / _geo.RefcountBlockEntries] & Qcow2Format.OffsetMask));
    }

    /// <summary>Writes changed refcount blocks.</summary>
    public void Flush()
    {
        foreach (long offset in _dirtyBlocks) Qcow2FileIo.Write(_file, offset, _blocks[offset]);
        _dirtyBlocks.Clear();
    }

    /// <summary>Flushes, then forgets cached blocks if there are many; only between operations (callers hold block arrays).</summary>
    public void FlushAndTrim()
    {
        Flush();
        if (_blocks.Count > 64) _blocks.Clear();
    }

    private byte[]? Block(long cluster, bool create)
    {
        long index = cluster / _geo.RefcountBlockEntries;
        if (index >= _table.Length)
        {
            if (!create) return null;
            GrowTable(index);
        }
        long offset = (long)(_table[index] & Qcow2Format.OffsetMask);
        if (offset == 0)
        {
            if (!create) return null;
            // The new block goes at the end of the file; it usually covers itself, so its own refcount lands in it.
            long blockCluster = NextFreeCluster++;
            offset = blockCluster << _geo.ClusterBits;
            var fresh = new byte[_geo.ClusterSize];
            Qcow2FileIo.Write(_file, offset, fresh);
            _blocks[offset] = fresh;
            _table[index] = (ulong)offset;
            Qcow2FileIo.WriteU64(_file, _tableOffset + index * 8, (ulong)offset);
            Change(blockCluster, +1);
            return fresh;
        }
        if (!_blocks.TryGetValue(offset, out byte[]? block))
        {
            block = new byte[_geo.ClusterSize];
            Qcow2FileIo.ReadExact(_file, offset, block);
            _blocks[offset] = block;
        }
        return block;
    }

    /// <summary>Moves the refcount table to a bigger place at the end of the file, then frees the old one.</summary>
    private void GrowTable(long neededIndex)
    {
        int perCluster = _geo.ClusterSize / 8;
        long entries = Math.Max(neededIndex + 1, (long)_table.Length * 2);
        while (true)
        {
            // The new table and the blocks that will count it must themselves be covered.
            long clusters = (entries + perCluster - 1) / perCluster;
            long needed = (NextFreeCluster + clusters + 4) / _geo.RefcountBlockEntries + 1;
            if (needed <= entries) break;
            entries = needed;
        }
        entries = (entries + perCluster - 1) / perCluster * perCluster;
        if (entries * 8 > Qcow2Format.MaxRefcountTableBytes)
            throw StorageException.Failed($"qcow2 image '{_path}': refcount table would exceed {Qcow2Format.MaxRefcountTableBytes} bytes");

        var newTable = new ulong[entries];
        Array.Copy(_table, newTable, _table.Length);
        int newClusters = (int)(entries / perCluster);
        long newCluster = NextFreeCluster;
        NextFreeCluster += newClusters;
        long oldOffset = _tableOffset;
        int oldClusters = TableClusters;

        _table = newTable;
        _tableOffset = newCluster << _geo.ClusterBits;
        for (int i = 0; i < newClusters; i++) Change(newCluster + i, +1);
        Flush();
        Qcow2FileIo.WriteTable(_file, _tableOffset, _table);
        Qcow2FileIo.WriteU64(_file, Qcow2Format.OffRefcountTableOffset, (ulong)_tableOffset);
        Qcow2FileIo.WriteU32(_file, Qcow2Format.OffRefcountTableClusters, (uint)newClusters);
        for (int i = 0; i < oldClusters; i++) Change((oldOffset >> _geo.ClusterBits) + i, -1);
    }

    private long LastUsedCluster()
    {
        for (long i = _table.Length - 1; i >= 0; i--)
        {
            long offset = (long)(_table[i] & Qcow2Format.OffsetMask);
            if (offset == 0) continue;
            var block = new byte[_geo.ClusterSize];
            Qcow2FileIo.ReadExact(_file, offset, block);
            for (long e = _geo.RefcountBlockEntries - 1; e >= 0; e--)
                if (ReadEntry(block, e) != 0) return i * _geo.RefcountBlockEntries + e;
        }
        return -1;
    }

    private ulong ReadEntry(byte[] block, long index)
    {
        int bits = _geo.RefcountBits;
        switch (bits)
        {
            case 8: return block[index];
            case 16: return BinaryPrimitives.ReadUInt16BigEndian(block.AsSpan((int)index * 2));
            case 32: return BinaryPrimitives.ReadUInt32BigEndian(block.AsSpan((int)index * 4));
            case 64: return BinaryPrimitives.ReadUInt64BigEndian(block.AsSpan((int)index * 8));
            default:
                int perByte = 8 / bits;
                return (ulong)(block[index / perByte] >> (int)(index % perByte * bits)) & ((1UL << bits) - 1);
        }
    }

    private void WriteEntry(byte[] block, long index, ulong value)
    {
        int bits = _geo.RefcountBits;
        switch (bits)
        {
            case 8: block[index] = (byte)value; break;
            case 16: BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan((int)index * 2), (ushort)value); break;
            case 32: BinaryPrimitives.WriteUInt32BigEndian(block.AsSpan((int)index * 4), (uint)value); break;
            case 64: BinaryPrimitives.WriteUInt64BigEndian(block.AsSpan((int)index * 8), value); break;
            default:
                int perByte = 8 / bits;
                int shift = (int)(index % perByte * bits);
                int mask = ((1 << bits) - 1) << shift;
                block[index / perByte] = (byte)((block[index / perByte] & ~mask) | ((int)value << shift & mask));
                break;
        }
    }
}
