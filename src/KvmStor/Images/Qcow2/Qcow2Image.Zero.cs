namespace KvmStor.Images.Qcow2;

// Zeroing guest ranges without storing zeros where the format can say "zero" instead.
public sealed partial class Qcow2Image
{
    private byte[]? _zeroCluster;

    /// <summary>
    /// Makes a guest range read as zeros. Whole clusters give their host clusters back: they become unallocated
    /// (no backing file) or zero clusters (v3, extended L2); only partial clusters, and v2 images with a backing file,
    /// get zeros written. Lets wipes and sparse uploads free space and later shrinks pass.
    /// </summary>
    public void WriteZeroes(long guestOffset, long length)
    {
        EnsureWritable();
        CheckRange(guestOffset, length);
        try
        {
            while (length > 0)
            {
                long guestCluster = guestOffset >> _geo.ClusterBits;
                int inCluster = (int)(guestOffset & (_geo.ClusterSize - 1));
                int n = (int)Math.Min(_geo.ClusterSize - inCluster, length);
                bool wholeCluster = inCluster == 0 && (n == _geo.ClusterSize || guestOffset + n == VirtualSize);
                if (!wholeCluster || !TryMakeZeroCluster(guestCluster))
                    WriteCluster(guestCluster, inCluster, (_zeroCluster ??= new byte[_geo.ClusterSize]).AsSpan(0, n));
                guestOffset += n;
                length -= n;
                if (_dirtyL2.Count > MaxCachedL2Tables) FlushMetadata();
            }
        }
        finally
        {
            FlushMetadata();
        }
    }

    /// <summary>Rewrites one L2 entry to read as zeros without data; false when the format cannot express that.</summary>
    private bool TryMakeZeroCluster(long guestCluster)
    {
        bool hasBacking = _header.BackingFile != null;
        if (_header.Version < 3 && hasBacking) return false; // v2 has no zero flag; unallocated would show the backing file

        ulong entry = 0, bitmap = 0;
        if (hasBacking && _geo.ExtendedL2) bitmap = 0xFFFF_FFFFUL << 32; // every subcluster reads as zeros
        else if (hasBacking) entry = Qcow2Format.FlagZero;

        L2Slot slot = Lookup(guestCluster);
        if (slot.Entry == entry && slot.Bitmap == bitmap) return true;

        (ulong[] table, long l2Offset) = L2ForWrite(guestCluster);
        if (slot.Compressed)
        {
            var range = CompressedRange(slot.Entry);
            ReleaseAfterFlush(range.Start, range.Length);
        }
        else if (slot.HostOffset != 0)
        {
            ReleaseAfterFlush(slot.HostOffset, _geo.ClusterSize);
        }
        int i = (int)(guestCluster % _geo.L2Entries) * L2Width;
        table[i] = entry;
        if (L2Width == 2) table[i + 1] = bitmap;
        _dirtyL2.Add(l2Offset);
        return true;
    }
}
