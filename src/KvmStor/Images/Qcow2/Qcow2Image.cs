using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images.Qcow2;

/// <summary>
/// A qcow2 image file opened for guest I/O. Not thread-safe: one caller at a time.
/// Metadata changes are written before <see cref="Write"/>, <see cref="Resize"/> or <see cref="Dispose"/> return.
/// </summary>
public sealed partial class Qcow2Image : IGuestImageReader
{
    private const int MaxBackingDepth = 16;

    private readonly SafeFileHandle _file;
    private readonly Qcow2Header _header;
    private readonly Qcow2Geometry _geo;
    private readonly Qcow2Refcounts? _refcounts;
    private readonly int _backingDepth;
    private readonly bool _ownsFile = true;
    private ulong[] _l1;
    private IGuestImageReader? _backing;
    private bool _backingOpened;

    public string Path { get; }
    public bool Writable { get; }
    public long VirtualSize => (long)_header.Size;
    public int ClusterSize => _geo.ClusterSize;
    public Qcow2HeaderInfo Info => Qcow2HeaderInfo.From(_header);

    private Qcow2Image(string path, SafeFileHandle file, Qcow2Header header, bool writable, int backingDepth, bool ownsFile = true)
    {
        _ownsFile = ownsFile;
        Path = path;
        _file = file;
        _header = header;
        Writable = writable;
        _backingDepth = backingDepth;
        _geo = new Qcow2Geometry(header.ClusterBits, header.ExtendedL2, header.RefcountOrder);
        _l1 = Qcow2FileIo.ReadTable(file, (long)header.L1TableOffset, (int)header.L1Size);
        if (writable)
            _refcounts = new Qcow2Refcounts(file, _geo, (long)header.RefcountTableOffset, (int)header.RefcountTableClusters, path);
    }

    /// <summary>Opens an image; refuses features it cannot honour (unknown incompatible bits, encryption, zstd, …).</summary>
    public static Qcow2Image Open(string path, bool writable) => Open(path, writable, 0);

    /// <summary>
    /// Opens an image on a descriptor the caller opened (and checked) and keeps: disposing the image flushes its
    /// metadata but leaves the descriptor open. <paramref name="path"/> is for messages and relative backing names.
    /// </summary>
    public static Qcow2Image Open(SafeFileHandle file, string path, bool writable)
    {
        Qcow2Header header = ReadHeader(file, path);
        EnsureOpenable(header, path, writable);
        if (writable && header.Version >= 3 && header.AutoclearFeatures != 0)
        {
            header.AutoclearFeatures = 0;
            Qcow2FileIo.WriteU64(file, Qcow2Format.OffAutoclear, 0);
        }
        return new Qcow2Image(path, file, header, writable, 0, ownsFile: false);
    }

    private static Qcow2Image Open(string path, bool writable, int backingDepth)
    {
        SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.Failed($"cannot open qcow2 image '{path}': {e.Message}");
        }
        try
        {
            Qcow2Header header = ReadHeader(file, path);
            EnsureOpenable(header, path, writable);
            if (writable && header.Version >= 3 && header.AutoclearFeatures != 0)
            {
                // Autoclear features describe data we are about to change without maintaining it; the format asks
                // writers that do not understand them to clear them.
                header.AutoclearFeatures = 0;
                Qcow2FileIo.WriteU64(file, Qcow2Format.OffAutoclear, 0);
            }
            return new Qcow2Image(path, file, header, writable, backingDepth);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads just the header, for probing; does not refuse unknown features.</summary>
    public static Qcow2HeaderInfo ReadHeaderInfo(string path)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        return ReadHeaderInfo(file, path);
    }

    public static Qcow2HeaderInfo ReadHeaderInfo(SafeFileHandle file, string path) => Qcow2HeaderInfo.From(ReadHeader(file, path));

    /// <summary>Whether the file starts with the qcow2 magic.</summary>
    public static bool IsQcow2(string path)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        Span<byte> magic = stackalloc byte[4];
        Qcow2FileIo.ReadExact(file, 0, magic);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(magic) == Qcow2Format.Magic;
    }

    private static Qcow2Header ReadHeader(SafeFileHandle file, string path)
    {
        var first = new byte[Qcow2Format.V2HeaderLength];
        Qcow2FileIo.ReadExact(file, 0, first);
        uint clusterBits = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(first.AsSpan(Qcow2Format.OffClusterBits));
        if (clusterBits is < 9 or > 21) return Qcow2Header.Parse(first, path); // reports bad magic or cluster_bits
        var cluster0 = new byte[1 << (int)clusterBits];
        Qcow2FileIo.ReadExact(file, 0, cluster0);
        return Qcow2Header.Parse(cluster0, path);
    }

    private static void EnsureOpenable(Qcow2Header h, string path, bool writable)
    {
        ulong unknown = h.IncompatibleFeatures & ~Qcow2Format.IncompatKnown;
        if (unknown != 0)
        {
            string what = (unknown & Qcow2Format.IncompatExternalData) != 0 ? "external data file"
                : (unknown & Qcow2Format.IncompatCompressionType) != 0 ? "compression type other than deflate"
                : $"0x{unknown:x}";
            throw StorageException.Unsupported($"qcow2 image '{path}' uses unsupported incompatible feature(s): {what}");
        }
        if (h.CryptMethod != 0)
            throw StorageException.Unsupported($"qcow2 image '{path}' is encrypted; encrypted qcow2 is not supported");
        if (writable && (h.IncompatibleFeatures & Qcow2Format.IncompatCorrupt) != 0)
            throw StorageException.Failed($"qcow2 image '{path}' is marked corrupt; repair it with 'qemu-img check -r all' first");
        if (writable && (h.AutoclearFeatures & Qcow2Format.AutoclearBitmaps) != 0)
            // Clearing the bit would silently invalidate the bitmaps and leak their clusters; refuse instead.
            throw StorageException.Unsupported(
                $"qcow2 image '{path}' has persistent dirty bitmaps, which kvmstor cannot keep up to date; remove them with 'qemu-img bitmap --remove' or open the image read-only");
        if (writable && (h.IncompatibleFeatures & Qcow2Format.IncompatDirty) != 0)
            throw StorageException.Failed($"qcow2 image '{path}' has unflushed lazy refcounts (dirty); repair it with 'qemu-img check -r all' first");
    }

    /// <summary>The image that unallocated clusters read from, opened on first use (relative names resolve against our directory).</summary>
    private IGuestImageReader? Backing
    {
        get
        {
            if (_backingOpened) return _backing;
            _backingOpened = true;
            if (_header.BackingFile is not { } name) return null;
            if (_backingDepth >= MaxBackingDepth)
                throw StorageException.Failed($"backing chain of '{Path}' is deeper than {MaxBackingDepth} images (a loop?)");
            string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path)) ?? "/";
            string backingPath = System.IO.Path.IsPathRooted(name) ? name : System.IO.Path.Combine(dir, name);
            if (!File.Exists(backingPath))
                throw StorageException.Failed($"cannot open backing file '{backingPath}' of '{Path}': No such file or directory");
            string format = _header.BackingFormat ?? (IsQcow2(backingPath) ? "qcow2" : "raw");
            _backing = format switch
            {
                "qcow2" => Open(backingPath, writable: false, _backingDepth + 1),
                "raw" => new RawImageReader(backingPath),
                _ => throw StorageException.Unsupported($"backing file '{backingPath}' has format '{format}'; only raw and qcow2 backing files can be read"),
            };
            return _backing;
        }
    }

    public void Dispose()
    {
        try
        {
            if (Writable && !_file.IsClosed) FlushMetadata();
        }
        finally
        {
            _backing?.Dispose();
            if (_ownsFile) _file.Dispose();
        }
    }
}
