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
        var volume = host.LookupVolumeByName("p1", "a");
        using (var onto = new FileStream(P("a"), FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            var e = Assert.Throws<StorageException>(() => host.DownloadVolume(volume, onto, new KvmStor.Backends.TransferRange(0, 0, false)));
            Assert.Equal("Requested operation is not valid: the file to download into is volume 'a' itself", e.Display);
        }
        Assert.Equal(_content, File.ReadAllBytes(P("a")));
    }

    [Fact]
    public async Task ACloneWaitingForItsSourceHoldsNoLockOnItsTarget()
    {
        // Two clones in opposite directions (a → b, b → a) deadlocked when each took its target's lock first and then
        // waited for its source's, held by the other. Shown here without a race: an upload holds volume a; a clone
        // a → b must then wait for a without holding b, so a resize of b goes through meanwhile.
        _s.Ok("vol-create-as", "p1", "b", "1M");
        using var host = _s.OpenHost();
        using var stalled = new StalledStream();
        var upload = Task.Run(() => host.UploadVolume(host.LookupVolumeByName("p1", "a"), stalled, new KvmStor.Backends.TransferRange(0, 0, false)));
        Assert.True(stalled.Reading.Wait(Bound), "the upload did not start");
        var clone = Task.Run(() =>
        {
            using var cloning = _s.OpenHost();
            return Assert.Throws<StorageException>(() => cloning.CreateVolumeFrom("p1", "<volume><name>b</name><capacity>0</capacity></volume>",
                cloning.LookupVolumeByName("p1", "a"), KvmStor.Backends.VolumeCreateFlags.None));
        });
        await Task.Delay(500); // the clone reaches its wait for a's lock
        Assert.False(clone.IsCompleted, "the clone should wait for the upload to release volume a");
        var resize = Task.Run(() => _s.Ok("vol-resize", "b", "2M", "--pool", "p1"));
        bool targetFree = await EndsWithin(resize, TimeSpan.FromSeconds(10));
        stalled.Finish();
        Assert.True(await EndsWithin(upload, Bound), "the upload did not end");
        Assert.True(await EndsWithin(clone, Bound), "the clone did not finish once its source was free");
        Assert.True(targetFree, "a clone waiting for its source held its target's lock (two opposite clones would deadlock)");
        Assert.Equal("storage volume name 'b' already in use.", (await clone).Message);
        Assert.Equal(2L << 20, new FileInfo(P("b")).Length);
        Assert.Equal(_content, File.ReadAllBytes(P("a")));
    }

    private static async Task<bool> EndsWithin(Task task, TimeSpan bound) => await Task.WhenAny(task, Task.Delay(bound)) == task;

    /// <summary>An upload source that delivers nothing until told to end.</summary>
    private sealed class StalledStream : Stream
    {
        private readonly ManualResetEventSlim _finish = new();
        public ManualResetEventSlim Reading { get; } = new();
        public void Finish() => _finish.Set();
        public override int Read(byte[] buffer, int offset, int count)
        {
            Reading.Set();
            _finish.Wait();
            return 0;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            _finish.Set();
            base.Dispose(disposing);
        }
    }
}
