namespace KvmStor.Tests.Images;

/// <summary>A scratch directory on the default file system (ext4 here), removed on dispose.</summary>
internal sealed class ImagesTempDirectory : IDisposable
{
    public string Path { get; }

    public ImagesTempDirectory(string? parent = null)
    {
        Path = System.IO.Path.Combine(parent ?? System.IO.Path.GetTempPath(), "kvmstor-images-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
