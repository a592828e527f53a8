namespace KvmStor.Tests.Images;

/// <summary>A temporary directory for qcow2 unit tests, removed with its content.</summary>
internal sealed class Qcow2TestDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kvmstor-qcow2-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
