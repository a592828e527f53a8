using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images.Qcow2;

/// <summary>A raw backing image: guest offset equals file offset.</summary>
internal sealed class RawImageReader : IGuestImageReader
{
    private readonly SafeFileHandle _file;

    public RawImageReader(string path)
    {
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        VirtualSize = RandomAccess.GetLength(_file);
    }

    public long VirtualSize { get; }

    public void Read(long guestOffset, Span<byte> buffer) => Qcow2FileIo.ReadExact(_file, guestOffset, buffer);

    public void Dispose() => _file.Dispose();
}
