using KvmStor.Engine;

namespace KvmStor.Tests.Cli;

/// <summary>
/// Commands whose source and target are one volume: one clear error at once, the volume untouched, the pool free
/// for the next command. Each command runs under a bound: before, a clone onto itself waited on its own lock for ever.
/// </summary>
public sealed class VolSourceIsTargetTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly VolumeCliSession _s = new();
    private readonly byte[] _content = new byte[1 << 20];

    public VolSourceIsTargetTests()
    {
        new Random(15).NextBytes(_content);
        _s.Ok("vol-create-as", "p1", "a", "1M");
        File.WriteAllBytes(P("a"), _content);
    }

    public void Dispose() => _s.Dispose();

    private string P(string volume) => _s.VolumePath("p1", volume);

    private string FailsWithin(params string[] args)
    {
        var run = Task.Run(() => _s.Fails(args));
        Assert.True(run.Wait(Bound), $"kvmstor {string.Join(' ', args)} did not return within {Bound.TotalSeconds} s");
        return run.Result;
    }

    private void AssertUntouchedAndPoolFree()
    {
        Assert.Equal(_content, File.ReadAllBytes(P("a")));
        // The pool's and the volume's locks were released: a change to the same volume goes through.
        var resize = Task.Run(() => _s.Ok("vol-resize", "a", "2M", "--pool", "p1"));
        Assert.True(resize.Wait(Bound), "the pool or volume lock was left held");
        Assert.Equal(2L << 20, new FileInfo(P("a")).Length);
    }

    [Fact]
    public void CloneOntoItsOwnNameIsLibvirtsNameInUse()
    {
        Assert.Equal("error: Failed to clone vol from a\nerror: internal error: storage volume name 'a' already in use.\n",
            FailsWithin("vol-clone", "a", "a", "--pool", "p1"));
        // By path, the clone goes to the source's pool: the same volume again (virsh names the source by its name).
        Assert.Equal($"error: Failed to clone vol from a\nerror: internal error: storage volume name 'a' already in use.\n",
            FailsWithin("vol-clone", P("a"), "a"));
        AssertUntouchedAndPoolFree();
    }

    [Fact]
    public void CreateFromItselfIsLibvirtsNameInUse()
    {
        string xml = _s.WriteFile("a.xml", "<volume><name>a</name><capacity>0</capacity><target><format type='qcow2'/></target></volume>");
        Assert.Equal($"error: Failed to create vol from {xml}\nerror: internal error: storage volume name 'a' already in use.\n",
            FailsWithin("vol-create-from", "p1", xml, "a", "--inputpool", "p1"));
        AssertUntouchedAndPoolFree();
    }

    [Fact]
    public void CreateFromAVolumeOfTheSameNameInAnotherPoolStillWorks()
    {
        _s.AddPool("p2");
        string xml = _s.WriteFile("a.xml", "<volume><name>a</name><capacity>0</capacity></volume>");
        Assert.Equal("Vol a created from input vol a\n\n", _s.Ok("vol-create-from", "p2", xml, "a", "--inputpool", "p1"));
        Assert.Equal(_content, File.ReadAllBytes(_s.VolumePath("p2", "a")));
    }

    [Fact]
    public void AnOverlayBackedByItselfIsRefusedAndNothingIsMade()
    {
        string xml = _s.WriteFile("o.xml", "<volume><name>o</name><capacity>1048576</capacity><target><format type='qcow2'/></target>"
            + $"<backingStore><path>{P("o")}</path><format type='qcow2'/></backingStore></volume>");
        Assert.StartsWith($"error: Failed to create vol from {xml}\nerror: inaccessible backing store volume {P("o")}: ", FailsWithin("vol-create", "p1", xml));
        Assert.Equal(["a"], Directory.GetFileSystemEntries(_s.PoolDir("p1")).Select(Path.GetFileName));
    }

    [Fact]
    public void UploadFromTheVolumesOwnFileIsRefused()
    {
        Assert.Equal("error: cannot upload to volume a\nerror: Requested operation is not valid: the file to upload is volume 'a' itself\n",
            FailsWithin("vol-upload", "a", P("a"), "--pool", "p1"));
        // By identity, not by name: a hard link is the same file.
        string link = Path.Combine(_s.Root, "link-to-a");
        using (var ln = System.Diagnostics.Process.Start("ln", [P("a"), link])) ln.WaitForExit();
        Assert.True(File.Exists(link));
        Assert.Equal("error: cannot upload to volume a\nerror: Requested operation is not valid: the file to upload is volume 'a' itself\n",
            FailsWithin("vol-upload", "a", link, "--pool", "p1", "--offset", "4096"));
        AssertUntouchedAndPoolFree();
    }

    [Fact]
    public void DownloadOntoTheVolumesOwnFileIsRefusedBeforeItIsTruncated()
    {
        Assert.Equal("error: cannot download from volume a\nerror: Requested operation is not valid: the file to download into is volume 'a' itself\n",
            FailsWithin("vol-download", "a", P("a"), "--pool", "p1"));
        string symlink = Path.Combine(_s.Root, "symlink-to-a");
        File.CreateSymbolicLink(symlink, P("a"));
        Assert.Equal("error: cannot download from volume a\nerror: Requested operation is not valid: the file to download into is volume 'a' itself\n",
            FailsWithin("vol-download", "a", symlink, "--pool", "p1"));
        Assert.True(File.Exists(symlink));
        AssertUntouchedAndPoolFree();
    }

    [Fact]
    public void TheEngineRefusesADownloadStreamOntoTheVolumeToo()
    {
        // A front-end that opens its destination itself gets the same refusal from DownloadVolume.
        using var host = _s.OpenHost();
        var volume = host.Lookup.VolumeByName("p1", "a");
        using (var onto = new FileStream(P("a"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            var e = Assert.Throws<StorageException>(() => host.Volumes.Download(volume, onto, new KvmStor.Model.TransferRange(0, 0, false)));
            Assert.Equal("Requested operation is not valid: the file to download into is volume 'a' itself", e.Display);
        }
        Assert.Equal(_content, File.ReadAllBytes(P("a")));
    }

    [Fact]
    public void ClonesInOppositeDirectionsNeverWaitOnEachOther()
    {
        // Two clones a → b and b → a each lock both volumes. Taken one by one (target, then source) they could each hold
        // one lock and wait for the other's for ever; both are taken in one acquisition, in one global order.
        _s.Ok("vol-create-as", "p1", "b", "1M");
        for (int i = 0; i < 40; i++)
        {
            var clones = new[] { ("a", "b"), ("b", "a") }.Select(pair => Task.Run(() =>
            {
                using var host = _s.OpenHost();
                return Assert.Throws<StorageException>(() => host.Volumes.CreateFrom("p1", $"<volume><name>{pair.Item2}</name><capacity>0</capacity></volume>",
                    host.Lookup.VolumeByName("p1", pair.Item1), KvmStor.Model.VolumeCreateFlags.None));
            })).ToArray();
            Assert.True(Task.WaitAll(clones, Bound), "two opposite clones waited on each other");
            Assert.All(clones, c => Assert.EndsWith("already in use.", c.Result.Message));
        }
        Assert.Equal(_content, File.ReadAllBytes(P("a")));
    }
}
