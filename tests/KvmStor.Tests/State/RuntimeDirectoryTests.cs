using KvmStor.State;

namespace KvmStor.Tests.State;

/// <summary>The runtime directory is 0700 whether new or left wider by an earlier version; legacy per-name lock files go.</summary>
public sealed class RuntimeDirectoryTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Open = Private | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Sub(params string[] parts) => Path.Combine([_dir.Root, .. parts]);

    [Fact]
    public void CreatedPrivateWithItsMissingParents()
    {
        string run = Sub("a", "b", "run");
        RuntimeDirectory.Ensure(run);
        Assert.Equal(Private, File.GetUnixFileMode(run));
        Assert.True(Directory.Exists(Sub("a", "b")));
    }

    [Fact]
    public void RemovedAfterAFirstEnsureIsMadeAgainPrivate()
    {
        string run = Sub("again", "run");
        RuntimeDirectory.Ensure(run);
        Directory.Delete(Sub("again"), recursive: true);
        RuntimeDirectory.Ensure(run);
        Assert.Equal(Private, File.GetUnixFileMode(run));
    }

    [Fact]
    public void AFileInPlaceOfAnEnsuredDirectoryFailsAsBefore()
    {
        string run = Sub("replaced");
        RuntimeDirectory.Ensure(run);
        Directory.Delete(run);
        File.WriteAllText(run, "");
        Assert.ThrowsAny<IOException>(() => RuntimeDirectory.Ensure(run));
    }

    [Fact]
    public void AnExistingWiderDirectoryIsTightened()
    {
        string run = Sub("run-open");
        Directory.CreateDirectory(run);
        File.SetUnixFileMode(run, Open);
        RuntimeDirectory.Ensure(run);
        Assert.Equal(Private, File.GetUnixFileMode(run));
    }

    [Fact]
    public void ALinkAtThePathIsNotChangedThrough()
    {
        string target = Sub("elsewhere");
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, Open);
        string link = Sub("run-link");
        File.CreateSymbolicLink(link, target);
        RuntimeDirectory.Ensure(link);
        Assert.Equal(Open, File.GetUnixFileMode(target));
    }

    [Fact]
    public void LegacyLockFilesAreRemovedWithoutFollowingLinks()
    {
        string run = Sub("run-legacy");
        string locks = Path.Combine(run, "locks");
        Directory.CreateDirectory(Path.Combine(locks, "p1.lock.vol"));
        File.WriteAllText(Path.Combine(locks, "p1.lock"), "");
        File.WriteAllText(Path.Combine(locks, "p1.lock.vol", "secret-volume-name.lock"), "");
        File.WriteAllText(Path.Combine(locks, "guests-%2Fetc%2Fkvmstor%2Fqemu.lock"), "");

        // What a link must not let the clean-up reach: a directory and a file outside.
        string victim = Sub("victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "keep.lock"), "keep");
        File.CreateSymbolicLink(Path.Combine(locks, "evil.lock.vol"), victim);
        File.CreateSymbolicLink(Path.Combine(locks, "p1.lock.vol", "link.lock"), Path.Combine(victim, "keep.lock"));
        File.WriteAllText(Path.Combine(locks, "notes.txt"), "not ours");

        RuntimeDirectory.Ensure(run);

        Assert.Equal("keep", File.ReadAllText(Path.Combine(victim, "keep.lock")));
        Assert.Equal(["evil.lock.vol", "notes.txt"], Directory.EnumerateFileSystemEntries(locks).Select(Path.GetFileName).Order());
        Assert.True(new FileInfo(Path.Combine(locks, "evil.lock.vol")).LinkTarget is not null, "the link itself was followed or replaced");
    }

    [Fact]
    public void AnEmptiedLegacyDirectoryGoesToo()
    {
        string run = Sub("run-legacy-empty");
        Directory.CreateDirectory(Path.Combine(run, "locks", "p.lock.vol"));
        File.WriteAllText(Path.Combine(run, "locks", "p.lock.vol", "v.lock"), "");
        File.WriteAllText(Path.Combine(run, "status.xml"), "");
        RuntimeDirectory.Ensure(run);
        Assert.False(Directory.Exists(Path.Combine(run, "locks")));
        Assert.True(File.Exists(Path.Combine(run, "status.xml")));
    }
}
