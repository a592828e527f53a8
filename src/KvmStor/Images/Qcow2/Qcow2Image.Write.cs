namespace KvmStor.Images.Qcow2;

// Guest writes: cluster allocation, copy-on-write of shared or compressed clusters, L2 table allocation.
public sealed partial class Qcow2Image
{
    private const ulong AllSubclustersAllocated = 0xFFFF_FFFFUL;
    private byte[]? _clusterBuffer;

    /// <summary>
    /// Writes guest bytes, allocating clusters (and L2 tables, refcount blocks) as needed. Zeros written over ranges
    /// that already read as zeros and hold no data are skipped, so sparse uploads stay sparse.
    /// </summary>
    public void Write(long guestOffset, ReadOnlySpan<byte> data)
    {
        EnsureWritable();
        CheckRange(guestOffset, data.Length);
        try
        {
            while (data.Length > 0)
            {
                int inCluster = (int)(guestOffset & (_geo.ClusterSize - 1));
                int n = Math.Min(_geo.ClusterSize - inCluster, data.Length);
                WriteCluster(guestOffset >> _geo.ClusterBits, inCluster, data[..n]);
                guestOffset += n;
                data = data[n..];
                if (_dirtyL2.Count > MaxCachedL2Tables) FlushMetadata();
            }
        }
        finally
        {
            FlushMetadata();
        }
    }

    /// <summary>Writes metadata and data to stable storage.</summary>
    public void Flush()
    {
        EnsureWritable();
        FlushMetadata();
        RandomAccess.FlushToDisk(_file);
    }

    private void WriteCluster(long guestCluster, int inCluster, ReadOnlySpan<byte> src)
    {
        L2Slot slot = Lookup(guestCluster);
        if (!slot.Compressed && slot.HostOffset != 0 && slot.Copied && HoldsAllData(slot))
        {
            Qcow2FileIo.Write(_file, slot.HostOffset + inCluster, src);
            return;
        }
        if (!src.ContainsAnyExcept((byte)0) && ReadsZeroWithoutData(slot, inCluster, src.Length)) return;

        // Build the whole new cluster: current guest content with the new bytes on top.
        long guestBase = guestCluster << _geo.ClusterBits;
        int valid = (int)Math.Min(_geo.ClusterSize, VirtualSize - guestBase);
        byte[] buffer = _clusterBuffer ??= new byte[_geo.ClusterSize];
        buffer.AsSpan(valid).Clear();
        if (inCluster != 0 || src.Length != valid) ReadCluster(guestCluster, 0, buffer.AsSpan(0, valid));
        src.CopyTo(buffer.AsSpan(inCluster));

        (ulong[] table, long l2Offset) = L2ForWrite(guestCluster);
        long target;
        if (!slot.Compressed && slot.HostOffset != 0 && slot.Copied)
        {
            target = slot.HostOffset; // preallocated: zero-flagged cluster or partly allocated subclusters
        }
        else
        {
            target = _refcounts!.Allocate(1);
            if (slot.Compressed)
            {
                var range = CompressedRange(slot.Entry);
                ReleaseAfterFlush(range.Start, range.Length);
            }
            else if (slot.HostOffset != 0)
            {
                ReleaseAfterFlush(slot.HostOffset, _geo.ClusterSize); // shared with a snapshot: drop our reference
            }
        }
        Qcow2FileIo.Write(_file, target, buffer);
        int i = (int)(guestCluster % _geo.L2Entries) * L2Width;
        table[i] = (ulong)target | Qcow2Format.FlagCopied;
        if (L2Width == 2) table[i + 1] = AllSubclustersAllocated;
        _dirtyL2.Add(l2Offset);
    }

    /// <summary>Whether every byte of an allocated cluster is read from its host cluster (no zero flag, all subclusters).</summary>
    private bool HoldsAllData(L2Slot slot) => _geo.ExtendedL2
        ? slot.Bitmap == AllSubclustersAllocated
        : _header.Version < 3 || (slot.Entry & Qcow2Format.FlagZero) == 0;

    private bool ReadsZeroWithoutData(L2Slot slot, int inCluster, int length)
    {
        if (slot.Compressed) return false;
        if (!_geo.ExtendedL2)
        {
            if (_header.Version >= 3 && (slot.Entry & Qcow2Format.FlagZero) != 0) return true;
            return slot.HostOffset == 0 && Backing == null;
        }
        int first = inCluster / _geo.SubclusterSize, last = (inCluster + length - 1) / _geo.SubclusterSize;
        for (int sub = first; sub <= last; sub++)
        {
            if (((slot.Bitmap >> sub) & 1) != 0) return false;
            if (((slot.Bitmap >> (32 + sub)) & 1) == 0 && Backing != null) return false;
        }
        return true;
    }

    /// <summary>The L2 table for a guest cluster, made writable: allocated if missing, copied if shared with a snapshot.</summary>
    private (ulong[] Table, long Offset) L2ForWrite(long guestCluster)
    {
        long l1Index = guestCluster / _geo.L2Entries;
        ulong l1Entry = _l1[l1Index];
        long oldOffset = (long)(l1Entry & Qcow2Format.OffsetMask);
        if (oldOffset != 0 && (l1Entry & Qcow2Format.FlagCopied) != 0) return (LoadL2(oldOffset), oldOffset);

        long newOffset = _refcounts!.Allocate(1);
        ulong[] table = oldOffset == 0 ? new ulong[_geo.L2Entries * L2Width] : (ulong[])LoadL2(oldOffset).Clone();
        if (oldOffset != 0) ReleaseAfterFlush(oldOffset, _geo.ClusterSize);
        _l2Cache[newOffset] = table;
        _dirtyL2.Add(newOffset);
        _l1[l1Index] = (ulong)newOffset | Qcow2Format.FlagCopied;
        _dirtyL1.Add(l1Index);
        return (table, newOffset);
    }

    private void EnsureWritable()
    {
        if (!Writable) throw StorageException.Invalid($"qcow2 image '{Path}' is open read-only");
    }
}
