namespace KvmStor.Images.Qcow2;

// Guest reads and the allocation map.
public sealed partial class Qcow2Image
{
    /// <summary>Reads guest bytes; zero clusters read as zeros, unallocated ones from the backing image (or zeros).</summary>
    public void Read(long guestOffset, Span<byte> buffer)
    {
        CheckRange(guestOffset, buffer.Length);
        while (buffer.Length > 0)
        {
            int inCluster = (int)(guestOffset & (_geo.ClusterSize - 1));
            int n = Math.Min(_geo.ClusterSize - inCluster, buffer.Length);
            ReadCluster(guestOffset >> _geo.ClusterBits, inCluster, buffer[..n]);
            guestOffset += n;
            buffer = buffer[n..];
        }
        TrimCaches();
    }

    private void ReadCluster(long guestCluster, int inCluster, Span<byte> dst)
    {
        L2Slot slot = Lookup(guestCluster);
        long guestBase = guestCluster << _geo.ClusterBits;
        if (slot.Compressed)
        {
            Decompress(slot.Entry).AsSpan(inCluster, dst.Length).CopyTo(dst);
            return;
        }
        if (!_geo.ExtendedL2)
        {
            if (_header.Version >= 3 && (slot.Entry & Qcow2Format.FlagZero) != 0) dst.Clear();
            else if (slot.HostOffset != 0) Qcow2FileIo.ReadExact(_file, slot.HostOffset + inCluster, dst);
            else ReadBacking(guestBase + inCluster, dst);
            return;
        }
        int pos = 0;
        while (pos < dst.Length)
        {
            int offset = inCluster + pos;
            int sub = offset / _geo.SubclusterSize;
            int n = Math.Min(_geo.SubclusterSize - offset % _geo.SubclusterSize, dst.Length - pos);
            Span<byte> piece = dst.Slice(pos, n);
            if (((slot.Bitmap >> sub) & 1) != 0) Qcow2FileIo.ReadExact(_file, slot.HostOffset + offset, piece);
            else if (((slot.Bitmap >> (32 + sub)) & 1) != 0) piece.Clear();
            else ReadBacking(guestBase + offset, piece);
            pos += n;
        }
    }

    private void ReadBacking(long guestOffset, Span<byte> dst)
    {
        IGuestImageReader? backing = Backing;
        long available = backing == null ? 0 : Math.Clamp(backing.VirtualSize - guestOffset, 0, dst.Length);
        if (available > 0) backing!.Read(guestOffset, dst[..(int)available]);
        dst[(int)available..].Clear();
    }

    /// <summary>
    /// The allocation map from <paramref name="start"/> to the end, merged into runs: which ranges hold data here,
    /// which are marked zero, and which fall through to the backing image. Do not write while enumerating.
    /// </summary>
    public IEnumerable<Qcow2Extent> GetExtents(long start = 0)
    {
        long size = VirtualSize;
        long runStart = start;
        Qcow2ExtentKind? runKind = null;
        long pos = start;
        while (pos < size)
        {
            long guestCluster = pos >> _geo.ClusterBits;
            long l1Index = guestCluster / _geo.L2Entries;
            long step;
            Qcow2ExtentKind kind;
            if (l1Index >= _l1.Length || (_l1[l1Index] & Qcow2Format.OffsetMask) == 0)
            {
                kind = Qcow2ExtentKind.Unallocated;
                step = ((l1Index + 1) * _geo.L2Span) - pos;
            }
            else
            {
                L2Slot slot = Lookup(guestCluster);
                int inCluster = (int)(pos & (_geo.ClusterSize - 1));
                if (_geo.ExtendedL2 && !slot.Compressed)
                {
                    int sub = inCluster / _geo.SubclusterSize;
                    kind = ((slot.Bitmap >> sub) & 1) != 0 ? Qcow2ExtentKind.Data
                        : ((slot.Bitmap >> (32 + sub)) & 1) != 0 ? Qcow2ExtentKind.Zero
                        : Qcow2ExtentKind.Unallocated;
                    step = _geo.SubclusterSize - inCluster % _geo.SubclusterSize;
                }
                else
                {
                    kind = slot.Compressed ? Qcow2ExtentKind.Data
                        : _header.Version >= 3 && (slot.Entry & Qcow2Format.FlagZero) != 0 ? Qcow2ExtentKind.Zero
                        : slot.HostOffset != 0 ? Qcow2ExtentKind.Data
                        : Qcow2ExtentKind.Unallocated;
                    step = _geo.ClusterSize - inCluster;
                }
            }
            if (runKind != kind)
            {
                if (runKind is { } previous) yield return new Qcow2Extent(runStart, pos - runStart, previous);
                runStart = pos;
                runKind = kind;
            }
            pos = Math.Min(size, pos + step);
        }
        if (runKind is { } last) yield return new Qcow2Extent(runStart, pos - runStart, last);
    }

    private void CheckRange(long guestOffset, long length)
    {
        if (guestOffset < 0 || length < 0 || guestOffset > VirtualSize - length)
            throw new ArgumentOutOfRangeException(nameof(guestOffset),
                $"range {guestOffset}+{length} lies outside the virtual size {VirtualSize} of '{Path}'");
    }
}
