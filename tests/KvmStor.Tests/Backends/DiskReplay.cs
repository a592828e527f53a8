namespace KvmStor.Tests.Backends;

/// <summary>Recorded parted/blkid/lsblk output (DiskData/, captured on this kind of machine), replayed through <see cref="ReplayRunner"/>.</summary>
internal static class DiskData
{
    private static readonly string Folder = Locate();

    public static string Read(string name) => File.ReadAllText(Path.Combine(Folder, name));

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "KvmStor.Tests", "Backends", "DiskData");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/KvmStor.Tests/Backends/DiskData not found above " + AppContext.BaseDirectory);
    }
}
