namespace KvmStor.Images.Qcow2;

// Changing the virtual size.
public sealed partial class Qcow2Image
{
    /// <summary>
    /// Changes the virtual size (rounded up to 512 bytes). Growing may move the L1 table to a bigger place;
    /// shrinking needs <paramref name="allowShrink"/> and refuses when guest data is stored beyond the new end.
    /// </summary>
    public void Resize(long newSize, bool allowShrink)
    {
        EnsureWritable();
        if (newSize < 0 || newSize > Qcow2Format.MaxVirtualSize)
            throw StorageException.InvalidArg($"invalid size {newSize} for qcow2 image '{Path}'");
        newSize = (newSize + 511) & ~511L;
        if (newSize == VirtualSize) return;
        FlushMetadata();
        long newL1Entries = Qcow2Geometry.L1EntriesFor(newSize, _geo.ClusterBits, _geo.ExtendedL2);
        if (newL1Entries * 8 > Qcow2Format.MaxL1Bytes)
            throw StorageException.InvalidArg($"size {newSize} is too large for qcow2 image '{Path}' with {_geo.ClusterSize}-byte clusters");
        if (newSize < VirtualSize) Shrink(newSize, newL1Entries, allowShrink);
        else Grow(newSize, newL1Entries);
        _header.Size = (ulong)newSize;
        Qcow2FileIo.WriteU64(_file, Qcow2Format.OffSize, (ulong)newSize);
        RandomAccess.FlushToDisk(_file);
    }

    private void Grow(long newSize, long newL1Entries)
    {
        if (newL1Entries <= _l1.Length) return;
        var newL1 = new ulong[newL1Entries];
        Array.Copy(_l1, newL1, _l1.Length);
        long oldOffset = (long)_header.L1TableOffset;
        long oldClusters = L1ClustersInUse();
        if (newL1Entries * 8 <= oldClusters << _geo.ClusterBits)
        {
            // The new entries fit into the clusters the L1 table already owns.
            Qcow2FileIo.WriteTable(_file, oldOffset, newL1);
        }
        else
        {
            long newClusters = _geo.ClustersFor(newL1Entries * 8);
            long newOffset = _refcounts!.Allocate((int)newClusters);
            _refcounts.Flush();
            Qcow2FileIo.WriteTable(_file, newOffset, newL1, (int)(newClusters << _geo.ClusterBits));
            Qcow2FileIo.WriteU64(_file, Qcow2Format.OffL1TableOffset, (ulong)newOffset);
            _header.L1TableOffset = (ulong)newOffset;
            if (oldClusters > 0) _refcounts.Release(oldOffset, oldClusters << _geo.ClusterBits);
            _refcounts.Flush();
        }
        Qcow2FileIo.WriteU32(_file, Qcow2Format.OffL1Size, (uint)newL1Entries);
        _header.L1Size = (uint)newL1Entries;
        _l1 = newL1;
    }

    /// <summary>Clusters owned by the L1 table; qemu counts them by l1_size (none for an empty table).</summary>
    private long L1ClustersInUse() => _geo.ClustersFor((long)_l1.Length * 8);

    private void Shrink(long newSize, long newL1Entries, bool allowShrink)
    {
        if (!allowShrink)
            throw StorageException.InvalidArg($"cannot shrink qcow2 image '{Path}' from {VirtualSize} to {newSize} bytes unless shrinking is allowed");
        if (_header.NbSnapshots != 0)
            throw StorageException.Unsupported($"cannot shrink qcow2 image '{Path}': it has internal snapshots");
        foreach (Qcow2Extent extent in GetExtents(newSize))
            if (extent.Kind == Qcow2ExtentKind.Data)
                throw StorageException.Failed(
                    $"cannot shrink qcow2 image '{Path}' to {newSize} bytes: guest data is stored at offset {extent.Offset}, beyond the new end");

        // Only zero or unallocated entries remain past the end; free the clusters some of them still reserve.
        long firstDropped = _geo.ClustersFor(newSize);
        long lastCluster = _geo.ClustersFor(VirtualSize);
        for (long l1Index = firstDropped / _geo.L2Entries; l1Index < _l1.Length; l1Index++)
        {
            long l2Offset = (long)(_l1[l1Index] & Qcow2Format.OffsetMask);
            if (l2Offset == 0) continue;
            (ulong[] table, long offset) = L2ForWrite(l1Index * _geo.L2Entries);
            for (long c = Math.Max(firstDropped, l1Index * _geo.L2Entries); c < Math.Min(lastCluster, (l1Index + 1) * _geo.L2Entries); c++)
            {
                int i = (int)(c % _geo.L2Entries) * L2Width;
                long host = (long)(table[i] & Qcow2Format.OffsetMask);
                if (host != 0) ReleaseAfterFlush(host, _geo.ClusterSize);
                table[i] = 0;
                if (L2Width == 2) table[i + 1] = 0;
            }
            _dirtyL2.Add(offset);
            if (l1Index >= newL1Entries)
            {
                // The whole table falls past the end: drop it instead of writing it.
                _dirtyL2.Remove(offset);
                _l2Cache.Remove(offset);
                ReleaseAfterFlush(offset, _geo.ClusterSize);
                _l1[l1Index] = 0;
                _dirtyL1.Add(l1Index);
            }
        }
        FlushMetadata(); // entries past the new l1_size become zeros, so a later grow finds them empty
        long oldClusters = L1ClustersInUse();
        Qcow2FileIo.WriteU32(_file, Qcow2Format.OffL1Size, (uint)newL1Entries);
        _header.L1Size = (uint)newL1Entries;
        _l1 = _l1[..(int)newL1Entries];
        // qemu counts the L1 table's clusters by l1_size, so clusters past the shorter table must be freed.
        long keptClusters = _geo.ClustersFor(newL1Entries * 8);
        if (keptClusters < oldClusters)
            _refcounts!.Release((long)_header.L1TableOffset + (keptClusters << _geo.ClusterBits), (oldClusters - keptClusters) << _geo.ClusterBits);
        _refcounts!.Flush();
    }
}
