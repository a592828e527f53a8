using System.IO.Compression;

namespace KvmStor.Images.Qcow2;

// L1/L2 lookup and the metadata caches.
public sealed partial class Qcow2Image
{
    private const int MaxCachedL2Tables = 64;

    private readonly Dictionary<long, ulong[]> _l2Cache = new();
    private readonly HashSet<long> _dirtyL2 = new();
    private readonly HashSet<long> _dirtyL1 = new();
    private readonly List<(long Offset, long Length)> _pendingReleases = new();
    private long _decompressedHost = -1;
    private byte[]? _decompressed;

    /// <summary>One L2 entry: the 64-bit descriptor and, with extended L2, the subcluster bitmap word.</summary>
    private readonly record struct L2Slot(ulong Entry, ulong Bitmap)
    {
        public long HostOffset => (long)(Entry & Qcow2Format.OffsetMask);
        public bool Compressed => (Entry & Qcow2Format.FlagCompressed) != 0;
        public bool Copied => (Entry & Qcow2Format.FlagCopied) != 0;
    }

    private int L2Width => _geo.L2EntrySize / 8;

    private ulong[] LoadL2(long offset)
    {
        if (!_l2Cache.TryGetValue(offset, out ulong[]? table))
        {
            table = Qcow2FileIo.ReadTable(_file, offset, _geo.L2Entries * L2Width);
            _l2Cache[offset] = table;
        }
        return table;
    }

    private L2Slot Lookup(long guestCluster)
    {
        long l1Index = guestCluster / _geo.L2Entries;
        if (l1Index >= _l1.Length) return default;
        long l2Offset = (long)(_l1[l1Index] & Qcow2Format.OffsetMask);
        if (l2Offset == 0) return default;
        ulong[] table = LoadL2(l2Offset);
        int i = (int)(guestCluster % _geo.L2Entries) * L2Width;
        return new L2Slot(table[i], L2Width == 2 ? table[i + 1] : 0);
    }

    /// <summary>Host range (sector-aligned start, length) that a compressed cluster's descriptor covers.</summary>
    private (long Start, long Length, long DataOffset, int DataLength) CompressedRange(ulong entry)
    {
        int shift = 62 - (_geo.ClusterBits - 8);
        long host = (long)(entry & ((1UL << shift) - 1));
        long sectors = (long)((entry >> shift) & ((1UL << (_geo.ClusterBits - 8)) - 1)) + 1;
        return (host & ~511L, sectors * 512, host, (int)(sectors * 512 - (host & 511)));
    }

    /// <summary>Inflates a compressed cluster (qcow2 stores raw deflate without zlib header); the last one is cached.</summary>
    private byte[] Decompress(ulong entry)
    {
        var range = CompressedRange(entry);
        if (range.DataOffset == _decompressedHost && _decompressed != null) return _decompressed;
        var compressed = new byte[range.DataLength];
        Qcow2FileIo.ReadExact(_file, range.DataOffset, compressed);
        var cluster = _decompressed ?? new byte[_geo.ClusterSize];
        _decompressedHost = -1;
        using (var inflater = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress))
        {
            int done = 0;
            try
            {
                while (done < cluster.Length)
                {
                    int n = inflater.Read(cluster, done, cluster.Length - done);
                    if (n == 0) break;
                    done += n;
                }
            }
            catch (InvalidDataException e)
            {
                throw StorageException.Failed($"qcow2 image '{Path}': compressed cluster at host offset {range.DataOffset} is damaged: {e.Message}");
            }
            if (done != cluster.Length)
                throw StorageException.Failed($"qcow2 image '{Path}': compressed cluster at host offset {range.DataOffset} inflates to {done} bytes, not {cluster.Length}");
        }
        _decompressed = cluster;
        _decompressedHost = range.DataOffset;
        return cluster;
    }

    /// <summary>
    /// Writes cached metadata in the order that keeps the file consistent after a crash at any point: refcounts of new
    /// clusters first, then the L2 tables and L1 entries that refer to them, and only then the refcount drops of
    /// clusters no longer referred to (at worst a leak, never a cluster in use with refcount 0).
    /// </summary>
    private void FlushMetadata()
    {
        if (_refcounts == null) return;
        _refcounts.Flush();
        foreach (long offset in _dirtyL2) Qcow2FileIo.WriteTable(_file, offset, _l2Cache[offset]);
        _dirtyL2.Clear();
        foreach (long index in _dirtyL1) Qcow2FileIo.WriteU64(_file, (long)_header.L1TableOffset + index * 8, _l1[index]);
        _dirtyL1.Clear();
        foreach ((long offset, long length) in _pendingReleases) _refcounts.Release(offset, length);
        _pendingReleases.Clear();
        TrimCaches();
    }

    /// <summary>Drops a reference once the tables that no longer point at it are on disk (see <see cref="FlushMetadata"/>).</summary>
    private void ReleaseAfterFlush(long hostOffset, long length) => _pendingReleases.Add((hostOffset, length));

    private void TrimCaches()
    {
        if (_l2Cache.Count > MaxCachedL2Tables && _dirtyL2.Count == 0) _l2Cache.Clear();
        _refcounts?.FlushAndTrim();
    }
}
