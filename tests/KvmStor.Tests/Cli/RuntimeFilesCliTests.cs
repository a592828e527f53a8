using KvmStor.Host;

namespace KvmStor.Tests.Cli;

/// <summary>
/// What the CLI leaves in the runtime and configuration directories: no file named after a volume or after a pool
/// that never was (rejected, unknown or clashing names included), and nothing another user could read.
/// </summary>
public sealed class RuntimeFilesCliTests : IDisposable
{
    private readonly VolumeCliSession _s = new();

    public void Dispose() => _s.Dispose();

    private string RunDirectory => Path.Combine(_s.Root, "run");
    private string ConfigDirectory => Path.Combine(_s.Root, "config");

    private static IEnumerable<string> Everything(string root) =>
        Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 });

    [Fact]
    public void NoFileNamesAVolumeOrAPoolThatNeverWas()
    {
        _s.Ok("vol-create-as", "p1", "inuse-vol", "1M");
        _s.Fails("vol-create-as", "p1", "inuse-vol", "1M");                          // name in use
        _s.Fails("vol-create", "p1", _s.WriteFile("clash.xml", "<volume><name>inuse-vol</name><capacity>1</capacity></volume>"));
        _s.Fails("vol-clone", "inuse-vol", "inuse-vol", "--pool", "p1");             // onto its own name
        _s.Ok("vol-clone", "inuse-vol", "cloned-vol", "--pool", "p1");
        _s.Fails("vol-create-as", "p1", "slash/rejected-vol", "1M");                  // bad names
        _s.Fails("vol-create-as", "p1", "..", "1M");
        _s.Fails("vol-create-as", "p1", "ctl\u0001rejected-vol", "1M");
        _s.Fails("vol-delete", "missing-vol", "--pool", "p1");
        _s.Fails("vol-wipe", "missing-vol", "--pool", "p1");
        _s.Fails("vol-create-as", "ghost-pool", "ghost-vol", "1M");                   // pools that do not exist
        _s.Fails("pool-start", "ghost-pool2");
        _s.Fails("pool-info", "ghost-pool3");
        _s.Fails("pool-define", _s.WriteFile("bad-pool.xml",                          // pool-define failures
            "<pool type='dir'><name>rejected-pool</name></pool>"));
        _s.Fails("pool-create", _s.WriteFile("clash-pool.xml",
            $"<pool type='dir'><name>p1</name><target><path>{_s.PoolDir("p1")}</path></target></pool>"));
        _s.Ok("vol-delete", "inuse-vol", "--pool", "p1");

        string[] names = ["inuse-vol", "cloned-vol", "rejected", "missing-vol", "ghost", "..rejected"];
        foreach (string entry in Everything(RunDirectory).Concat(Everything(ConfigDirectory)))
            foreach (string name in names)
                Assert.False(Path.GetRelativePath(_s.Root, entry).Contains(name, StringComparison.Ordinal), $"{entry} names {name}");
    }

    [Fact]
    public void RuntimeAndConfigurationAreReadableByTheOwnerOnly()
    {
        _s.Ok("vol-create-as", "p1", "v1", "1M");
        _s.Ok("pool-autostart", "p1");
        _s.Ok("pool-refresh", "p1");
        _s.Ok("secret-define", _s.WriteFile("s.xml", "<secret ephemeral='yes'><usage type='volume'><volume>/v</volume></usage></secret>"));
        _s.Ok("pool-destroy", "p1"); // leaves the last sizes behind
        _s.Ok("pool-start", "p1");

        foreach (string root in new[] { RunDirectory, ConfigDirectory })
        {
            Assert.Equal("700", Mode(root));
            foreach (string entry in Everything(root))
            {
                var status = FileSystem.Stat(entry, followLinks: false);
                if (status.Kind == FileKind.SymbolicLink) continue; // autostart links: a link has no mode of its own
                Assert.True(Mode(entry) == (status.Kind == FileKind.Directory ? "700" : "600"), $"{entry} is {Mode(entry)}");
            }
        }
        Assert.Contains(Path.Combine(RunDirectory, "events.log"), Everything(RunDirectory));
        Assert.Contains(Path.Combine(RunDirectory, "secret-events.log"), Everything(RunDirectory));
    }

    [Fact]
    public void AnOlderWideRuntimeDirectoryIsTightenedAndItsNameFilesGo()
    {
        using var session = new VolumeCliSession(startPool: false);
        string run = Path.Combine(session.Root, "run");
        // An earlier version's layout: 0755 directories and a lock file per volume name ever tried.
        string legacy = Path.Combine(run, "locks", "p1.lock.vol");
        Directory.CreateDirectory(legacy);
        File.WriteAllText(Path.Combine(legacy, "old-secret-name.lock"), "");
        File.SetUnixFileMode(run, (UnixFileMode)0b111_101_101);

        session.Ok("pool-list", "--all");

        Assert.Equal("700", Mode(run));
        Assert.False(Directory.Exists(Path.Combine(run, "locks")));
    }

    private static string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(path), 8);
}
