using KvmStor.Cli;
using KvmStor.Cli.Parsing;
using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.Tests.Guests;

namespace KvmStor.Tests.Cli;

/// <summary>
/// kvmstor complete -- WORDS in-process, over a real engine on a temp session state: a running dir pool p1 (volumes
/// a.qcow2, "b c.img", base.raw) and a defined, inactive pool p2.
/// </summary>
public sealed class CompletionTests : IDisposable
{
    private readonly VolumeCliSession _s = new();

    public CompletionTests()
    {
        _s.AddPool("p2", start: false);
        _s.Ok("vol-create-as", "p1", "a.qcow2", "1M", "--format", "qcow2");
        _s.Ok("vol-create-as", "p1", "b c.img", "1M");
        _s.Ok("vol-create-as", "p1", "base.raw", "1M");
    }

    public void Dispose() => _s.Dispose();

    /// <summary>The candidates for a line whose last word is being typed; the run must print nothing else.</summary>
    private List<string> Complete(params string[] words) => Complete(_s.Services(), words);

    private static List<string> Complete(CliServices services, params string[] words)
    {
        var result = CliRunner.Run(services, ["complete", "--", .. words]);
        Assert.Equal((0, ""), (result.ExitCode, result.Stderr));
        Assert.True(result.Stdout.Length == 0 || result.Stdout.EndsWith('\n'));
        Assert.DoesNotContain("\n\n", result.Stdout);
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public void CommandNamesComeFromTheTableWithoutTheInternalOnes()
    {
        var all = Complete("");
        var table = CommandTable.CreateDefault();
        var shown = table.Groups.SelectMany(g => g.Commands).Where(c => !c.Internal).Select(c => c.Name).ToList();
        Assert.Equal(shown, all);
        Assert.DoesNotContain("complete", all);
        Assert.DoesNotContain("man", all);
        Assert.Equal(["pool-start"], Complete("pool-st"));
        Assert.Equal(["vol-create-as", "vol-create", "vol-create-from"], Complete("vol-create"));
        Assert.Empty(Complete("nosuch"));
    }

    [Fact]
    public void PoolsInTheStateTheCommandNeeds()
    {
        using (var host = _s.OpenHost())
            host.Pools.Create($"<pool type='dir'><name>t1</name><target><path>{_s.PoolDir("p1")}/t</path></target></pool>", PoolBuildFlags.Build);
        Assert.Equal(["p2"], Values("pool-start", ""));
        Assert.Equal(["p2"], Values("pool-build", ""));
        Assert.Equal(["p2"], Values("pool-delete", ""));
        Assert.Equal(["p2"], Values("pool-undefine", ""));
        Assert.Equal(["p1", "t1"], Values("pool-destroy", ""));
        Assert.Equal(["p1", "t1"], Values("pool-refresh", ""));
        Assert.Equal(["p1", "t1"], Values("vol-list", ""));
        Assert.Equal(["p1", "p2"], Values("pool-autostart", "")); // a transient pool has no autostart
        Assert.Equal(["p1", "p2", "t1"], Values("pool-info", ""));
        Assert.Equal(["p1", "p2", "t1"], Values("pool-dumpxml", "--pool", ""));
        Assert.Equal(["p1", "p2", "t1"], Values("pool-event", "--pool", ""));
        Assert.Equal(["p2"], Complete("pool-start", "p2"));

        // The words that start with '-' (the options) aside.
        List<string> Values(params string[] words) => Complete(words).Where(w => !w.StartsWith('-')).ToList();
    }

    [Fact]
    public void PoolNamesAreReadFromFileNamesSoADamagedDefinitionStillShows()
    {
        _s.AddPool("p3", start: false);
        File.WriteAllText(Path.Combine(_s.Root, "config", "p3.xml"), "<pool");
        Assert.Equal(["p2", "p3"], Complete("pool-start", "p"));
    }

    [Fact]
    public void OptionsNotGivenYetFollowTheCommand()
    {
        Assert.Equal(["--pool", "--details", "--json", "p1"], Complete("vol-list", ""));
        Assert.Equal(["--details", "--json"], Complete("vol-list", "p1", ""));
        Assert.Equal(["--details"], Complete("vol-list", "--pool", "p1", "--d"));
        Assert.Equal(["--json"], Complete("vol-list", "--details", "p1", "-"));
        // After "--" every word is data.
        Assert.Equal(["p1"], Complete("vol-list", "--", ""));
    }

    [Fact]
    public void VolumesOfThePoolOnTheLine()
    {
        string[] volumes = ["a.qcow2", "b c.img", "base.raw"];
        Assert.Equal(volumes, Complete("vol-info", "--pool", "p1", "").Where(w => !w.StartsWith('-')));
        Assert.Equal(volumes, Complete("vol-delete", "--pool=p1", "--", ""));
        Assert.Equal(["b c.img", "base.raw"], Complete("vol-wipe", "--pool", "p1", "b"));
        // The pool given by position (vol-create-as POOL NAME CAPACITY --backing-vol …).
        Assert.Equal(["base.raw"], Complete("vol-create-as", "p1", "new.qcow2", "1G", "--format", "qcow2", "--backing-vol", "bas"));
        Assert.Equal(["a.qcow2"], Complete("attach-disk", "vm", "--pool", "p1", "--vol", "a"));
        // vol-create-from names its source volume's pool with --inputpool.
        Assert.Equal(["a.qcow2"], Complete("vol-create-from", "p1", "new.xml", "--inputpool", "p1", "a"));
        // No pool given: a volume can still be named by its path.
        string path = _s.VolumePath("p1", "a.qcow2");
        Assert.Equal([path], Complete("vol-info", path[..^3]));
        Assert.Empty(Complete("vol-info", "a"));
        // A pool that does not exist or does not run offers nothing, and says nothing.
        Assert.Empty(Complete("vol-info", "--pool", "p2", "a"));
        Assert.Empty(Complete("vol-info", "--pool", "nosuch", "a"));
    }

    [Fact]
    public void VolumeKeysWhereOnlyAKeyOrPathFindsTheVolume()
    {
        Assert.Equal([_s.VolumePath("p1", "a.qcow2"), _s.VolumePath("p1", "b c.img"), _s.VolumePath("p1", "base.raw")],
            Complete("vol-name", "/"));
        Assert.Equal([_s.VolumePath("p1", "base.raw")], Complete("vol-pool", "--uuid", _s.VolumePath("p1", "base")));
    }

    [Fact]
    public void OptionValuesWrittenWithAnEqualsSign()
    {
        Assert.Equal(["--pool=p1"], Complete("vol-info", "a.qcow2", "--pool=p"));
        Assert.Equal(["--algorithm=pfitzner7", "--algorithm=pfitzner33"], Complete("vol-wipe", "a.qcow2", "--pool", "p1", "--algorithm=pf"));
        Assert.Empty(Complete("vol-info", "a.qcow2", "--bytes=x"));
    }

    [Fact]
    public void FixedListsFromTheModel()
    {
        Assert.Equal(["zero", "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7", "pfitzner33", "random", "trim"],
            Complete("vol-wipe", "a", "--pool", "p1", "--algorithm", ""));
        Assert.Equal(["dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage"],
            Complete("pool-define-as", "new", "").Where(w => !w.StartsWith('-')));
        Assert.Equal(["iscsi", "iscsi-direct"], Complete("find-storage-pool-sources", "is"));
        Assert.Equal(["dir,fs"], Complete("pool-list", "--type", "dir,f"));
        Assert.Equal(["dir,scsi", "dir,sheepdog"], Complete("pool-list", "--type", "dir,s"));
        Assert.DoesNotContain("dir,dir", Complete("pool-list", "--type", "dir,"));
        Assert.Equal(["chap", "ceph"], Complete("pool-define-as", "n", "iscsi", "--auth-type", ""));
        Assert.Equal(["lifecycle", "refresh"], Complete("pool-event", "--event", ""));
        Assert.Equal(["qemu-argv"], Complete("domxml-to-native", "q"));
        Assert.Equal(["scsi", "sata"], Complete("attach-disk", "vm", "/dev/sdz", "--targetbus", "s"));
    }

    [Fact]
    public void VolumeFormatsAreThoseThePoolTakes()
    {
        var formats = Complete("vol-create-as", "p1", "n", "1G", "--format", "");
        Assert.Contains("qcow2", formats);
        Assert.Contains("raw", formats);
        Assert.DoesNotContain("none", formats); // file pools refuse it
        Assert.Equal(formats, Complete("vol-create-as", "p1", "n", "1G", "--backing-vol-format", ""));
        Assert.Equal(["qcow", "qcow2", "qed"], Complete("attach-disk", "vm", "/x", "--subdriver", "q"));
    }

    [Fact]
    public void SecretsByUuidAndUsage()
    {
        const string uuid = "5e9a5a65-53b1-4b93-9a0c-1b1e3c0f3a11";
        string file = _s.WriteFile("s.xml", $"<secret><uuid>{uuid}</uuid><usage type='iscsi'><target>lun-chap</target></usage></secret>");
        _s.Ok("secret-define", file);
        Assert.Equal([uuid, "lun-chap"], Complete("secret-dumpxml", "").Where(w => !w.StartsWith('-')));
        Assert.Equal(["lun-chap"], Complete("secret-get-value", "l"));
        Assert.Equal(["lun-chap"], Complete("pool-define-as", "n", "iscsi", "--secret-usage", ""));
        Assert.Equal([uuid], Complete("pool-define-as", "n", "iscsi", "--secret-uuid", ""));
    }

    [Fact]
    public void GuestsAndTheTargetsOfTheirDisks()
    {
        using var f = new GuestHostFixture();
        var services = new CliServices { OpenHost = _ => f.State.OpenHost(), Environment = new Dictionary<string, string>() };
        Assert.Equal(0, CliRunner.Run(services, "define", WriteGuest(f, GuestSamples.Minimal)).ExitCode);
        Assert.Equal(0, CliRunner.Run(services, "attach-disk", "mini", "--pool", "images", "--vol", "disk.qcow2").ExitCode);
        Assert.Equal(0, CliRunner.Run(services, "attach-disk", "mini", "/srv/x.iso", "--type", "cdrom", "--targetbus", "sata").ExitCode);

        Assert.Equal(["mini"], Complete(services, "domblklist", "m"));
        Assert.Equal(["mini"], Complete(services, "domxml-to-native", "qemu-argv", "--domain", ""));
        Assert.Equal(["vda", "sda"], Complete(services, "detach-disk", "mini", "").Where(w => !w.StartsWith('-')));
        Assert.Equal(["vda"], Complete(services, "detach-disk", "--domain", "mini", "v"));
        Assert.Empty(Complete(services, "detach-disk", "nosuch", "v"));
    }

    private static string WriteGuest(GuestHostFixture f, string xml)
    {
        string path = Path.Combine(f.State.Root, "guest.xml");
        File.WriteAllText(path, xml);
        return path;
    }

    [Fact]
    public void FilesWhereAFileIsExpected()
    {
        string dir = Path.Combine(_s.Root, "files");
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        File.WriteAllText(Path.Combine(dir, "pool.xml"), "");
        File.WriteAllText(Path.Combine(dir, "pool2.xml"), "");
        File.WriteAllText(Path.Combine(dir, ".hidden"), "");
        File.CreateSymbolicLink(Path.Combine(dir, "link"), Path.Combine(dir, "sub"));

        Assert.Equal([$"{dir}/link/", $"{dir}/pool.xml", $"{dir}/pool2.xml", $"{dir}/sub/"], Complete("pool-define", dir + "/"));
        Assert.Equal([$"{dir}/pool.xml", $"{dir}/pool2.xml"], Complete("define", dir + "/p"));
        Assert.Equal([$"{dir}/.hidden"], Complete("secret-set-value", "s", "--file", dir + "/."));
        Assert.Equal([$"{dir}/sub/"], Complete("vol-upload", "a.qcow2", dir + "/s"));
        Assert.Empty(Complete("vol-upload", "a.qcow2", dir + "/nosuchdir/"));
        Assert.Equal(["~/x.xml"], CompleteFilesUnderHome());

        List<string> CompleteFilesUnderHome()
        {
            File.WriteAllText(Path.Combine(dir, "x.xml"), "");
            var services = _s.Services();
            var env = new Dictionary<string, string>(services.Environment) { ["HOME"] = dir };
            return Complete(new CliServices { Environment = env, OpenHost = services.OpenHost }, "pool-define", "~/x");
        }
    }

    [Fact]
    public void GlobalOptionsAndTheConnectionTheLineNames()
    {
        Assert.Equal(["-c", "--connect", "-h", "--help", "-q", "--quiet", "-v", "--version", "--json"], Complete("-"));
        Assert.Equal(["kvmstor:///system", "kvmstor:///session"], Complete("-c", ""));
        Assert.Equal(["kvmstor:///session"], Complete("-q", "--connect", "kvmstor:///se"));
        Assert.Equal(["--connect=kvmstor:///system"], Complete("--connect=kvmstor:///sy"));
        Assert.Equal(["pool-start"], Complete("-q", "-c", "kvmstor:///session", "pool-st"));

        // Live values come from the connection on the line (or the one kvmstor was started with).
        var asked = new List<string?>();
        var services = _s.Services();
        var recording = new CliServices
        {
            Environment = services.Environment,
            OpenHost = uri => { asked.Add(uri); return services.OpenHost(uri); },
        };
        Assert.Equal(["p2"], Complete(recording, "-c", "kvmstor:///system", "pool-start", "p"));
        Assert.Equal(["kvmstor:///system"], asked);
        asked.Clear();
        var result = CliRunner.Run(recording, "-c", "qemu:///session", "complete", "--", "pool-start", "p");
        Assert.Equal("p2\n", result.Stdout);
        Assert.Equal(["qemu:///session"], asked);
        // Names of commands and options need no connection at all.
        asked.Clear();
        Complete(recording, "vol-list", "--");
        Assert.Empty(asked);
    }

    [Fact]
    public void TabStartsNoPool()
    {
        _s.Ok("pool-autostart", "p2");
        // Forget the boot marker: the next command that opens the connection would start p2.
        string marker = Path.Combine(_s.Root, "run", "autostarted");
        Assert.True(File.Exists(marker));
        File.Delete(marker);
        Assert.Equal(["p2"], Complete("pool-start", "p"));
        Assert.Equal("inactive", State());
        _s.Ok("pool-list");
        Assert.Equal("running", State());

        string State()
        {
            using var host = _s.OpenHost();
            return host.Lookup.PoolByNameOrUuid("p2").Active ? "running" : "inactive";
        }
    }

    [Fact]
    public void ALineThatCannotBeRightOffersNothing()
    {
        Assert.Empty(Complete("vol-list", "--nosuch", ""));
        Assert.Empty(Complete("vol-list", "p1", "extra", ""));
        Assert.Empty(Complete("vol-list", "--details", "--details", ""));
        Assert.Empty(Complete("pool-info", "p1", "--help", ""));
        Assert.Empty(Complete("complete", ""));
    }

    [Fact]
    public void HelpTakesCommandsAndGroupKeywords()
    {
        Assert.Equal(["secret-define", "secret-dumpxml", "secret-get-value", "secret-list", "secret-set-value", "secret-undefine", "secret"],
            Complete("help", "secret"));
    }
}
