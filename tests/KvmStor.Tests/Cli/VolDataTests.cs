namespace KvmStor.Tests.Cli;

/// <summary>vol-upload, vol-download, vol-wipe, vol-resize: messages, option readings and the files they touch.</summary>
public sealed class VolDataTests : IDisposable
{
    private readonly VolumeCliSession _s = new();

    public VolDataTests() => _s.Ok("vol-create-as", "p1", "v1", "10M", "--format", "raw");

    public void Dispose() => _s.Dispose();

    private string P(string volume) => _s.VolumePath("p1", volume);

    [Fact]
    public void ResizeMessagesAndSignRules()
    {
        Assert.Equal("error: Failed to change size of volume 'v1' to 5M\nerror: invalid argument: can't shrink capacity below existing allocation\n",
            _s.Fails("vol-resize", "v1", "5M", "--pool", "p1"));
        Assert.Equal("Size of volume 'v1' successfully changed to 20M\n\n", _s.Ok("vol-resize", "v1", "20M", "--pool", "p1"));
        Assert.Equal(20L << 20, new FileInfo(P("v1")).Length);
        Assert.Equal("Size of volume 'v1' successfully changed by 1M\n\n", _s.Ok("vol-resize", "v1", "1M", "--pool", "p1", "--delta"));
        Assert.Equal(21L << 20, new FileInfo(P("v1")).Length);
        // "-1M" needs --shrink and then means "shrink by"; the message echoes the size without its sign.
        Assert.Equal("error: negative size requires --shrink\n", _s.Fails("vol-resize", "v1", "-1M", "--pool", "p1"));
        Assert.Equal("Size of volume 'v1' successfully changed by 1M\n\n", _s.Ok("vol-resize", "v1", "-1M", "--pool", "p1", "--shrink"));
        Assert.Equal(20L << 20, new FileInfo(P("v1")).Length);
        // '+' alone is not relative: "+25M" sets 25M (a 20M volume does not become 45M).
        Assert.Equal("Size of volume 'v1' successfully changed to +25M\n\n", _s.Ok("vol-resize", "v1", "+25M", "--pool", "p1"));
        Assert.Equal(25L << 20, new FileInfo(P("v1")).Length);
        Assert.Equal("error: Failed to change size of volume 'v1' to 24M\nerror: invalid argument: Can't shrink capacity below current capacity unless shrink flag explicitly specified\n",
            _s.Fails("vol-resize", "v1", "24M", "--pool", "p1"));
        Assert.Equal("error: Failed to change size of volume 'v1' to 999T\nerror: operation failed: Not enough space left in storage pool\n",
            _s.Fails("vol-resize", "v1", "999T", "--pool", "p1", "--allocate"));
        Assert.Equal("error: Malformed size 1Q\nerror: invalid argument: unknown suffix 'Q'\n", _s.Fails("vol-resize", "v1", "1Q", "--pool", "p1"));
        Assert.Equal("error: Malformed size x\n", _s.Fails("vol-resize", "v1", "-x", "--pool", "p1", "--shrink"));
    }

    [Fact]
    public void ResizeUsesTheVolumesRealNameInMessages()
    {
        Assert.Equal("Size of volume 'v1' successfully changed to 11M\n\n", _s.Ok("vol-resize", P("v1"), "11M"));
    }

    [Fact]
    public void WipeAlgorithms()
    {
        File.WriteAllBytes(P("v1"), Enumerable.Repeat((byte)0xAB, 10 << 20).ToArray());
        Assert.Equal("error: Unsupported algorithm 'foo'\n", _s.Fails("vol-wipe", "v1", "--pool", "p1", "--algorithm", "foo"));
        Assert.Equal("error: Failed to wipe vol v1\nerror: argument unsupported: 'trim' algorithm not supported\n",
            _s.Fails("vol-wipe", "v1", "--pool", "p1", "--algorithm", "trim"));
        Assert.Equal("Vol v1 wiped\n\n", _s.Ok("vol-wipe", "v1", "--pool", "p1"));
        Assert.All(File.ReadAllBytes(P("v1")), b => Assert.Equal(0, b));
        Assert.Equal("Vol v1 wiped\n\n", _s.Ok("vol-wipe", "v1", "--pool", "p1", "--algorithm", "nnsa"));
    }

    [Fact]
    public void UploadPrintsNothingAndWritesTheRange()
    {
        var data = new byte[8192];
        new Random(7).NextBytes(data);
        string file = _s.WriteFile("up.bin", data);
        Assert.Equal("\n", _s.Ok("vol-upload", "v1", file, "--pool", "p1"));
        Assert.Equal(data, File.ReadAllBytes(P("v1")).AsSpan(0, 8192).ToArray());

        string small = _s.WriteFile("small.bin", data.AsSpan(0, 100).ToArray());
        Assert.Equal("\n", _s.Ok("vol-upload", "v1", small, "--pool", "p1", "--offset", "4096", "--length", "100"));
        var content = File.ReadAllBytes(P("v1"));
        Assert.Equal(data.AsSpan(0, 100).ToArray(), content.AsSpan(4096, 100).ToArray());
        Assert.Equal(data.AsSpan(4196, 100).ToArray(), content.AsSpan(4196, 100).ToArray());
    }

    [Fact]
    public void UploadOfMoreThanLengthFailsWhileDataFlows()
    {
        // reference transcript: a file longer than --length makes the stream overflow; virsh reports it on closing.
        string file = _s.WriteFile("up.bin", new byte[8192]);
        Assert.Equal("error: cannot close volume v1\nerror: cannot write to stream: No space left on device\n",
            _s.Fails("vol-upload", "v1", file, "--pool", "p1", "--offset", "4096", "--length", "100"));
    }

    [Fact]
    public void UploadOfMuchMoreThanLengthFailsWhileSending()
    {
        // libvirt transcript (updown): a 1 GiB file with --length 1048576 fails before the file is read to its end.
        string file = Path.Combine(_s.Root, "big.bin");
        using (var stream = File.Create(file)) stream.SetLength(256L << 20);
        Assert.Equal("error: cannot send data to volume v1\nerror: cannot write to stream: No space left on device\n",
            _s.Fails("vol-upload", "v1", file, "--pool", "p1", "--offset", "0", "--length", "1048576"));
    }

    [Fact]
    public void UploadPastTheCapacityNeedsAllowGrow()
    {
        // kvmstor's rule: a raw volume is not silently grown by an upload (libvirt grows it).
        string file = _s.WriteFile("big.bin", new byte[11 << 20]);
        string error = _s.Fails("vol-upload", "v1", file, "--pool", "p1");
        Assert.StartsWith("error: cannot upload to volume v1\nerror: invalid argument: upload of 11534336 bytes at offset 0 exceeds the capacity of volume 'v1' (10485760 bytes)", error);
        Assert.Equal(10L << 20, new FileInfo(P("v1")).Length);
        Assert.Equal("\n", _s.Ok("vol-upload", "v1", file, "--pool", "p1", "--allow-grow"));
        Assert.Equal(11L << 20, new FileInfo(P("v1")).Length);
    }

    [Fact]
    public void UploadOfAMissingFile()
    {
        string missing = Path.Combine(_s.Root, "nonexist");
        Assert.Equal($"error: cannot read {missing}\n", _s.Fails("vol-upload", "v1", missing, "--pool", "p1"));
    }

    [Fact]
    public void DownloadCreatesOrTruncatesTheFile()
    {
        var data = new byte[4096];
        new Random(3).NextBytes(data);
        File.WriteAllBytes(P("v1"), data);
        string target = Path.Combine(_s.Root, "dl.bin");
        Assert.Equal("\n", _s.Ok("vol-download", "v1", target, "--pool", "p1"));
        Assert.Equal(data, File.ReadAllBytes(target));

        File.WriteAllText(target, new string('z', 10000));
        Assert.Equal("\n", _s.Ok("vol-download", "v1", target, "--pool", "p1", "--offset", "100", "--length", "-1"));
        Assert.Equal(data.AsSpan(100).ToArray(), File.ReadAllBytes(target));

        Assert.Equal("\n", _s.Ok("vol-download", "v1", target, "--pool", "p1", "--offset", "10", "--length", "20", "--sparse"));
        Assert.Equal(data.AsSpan(10, 20).ToArray(), File.ReadAllBytes(target));
    }

    [Fact]
    public void DownloadIntoAnImpossiblePlace()
    {
        string target = Path.Combine(_s.Root, "no", "such", "dir", "dl.bin");
        Assert.Equal($"error: cannot create {target}\n", _s.Fails("vol-download", "v1", target, "--pool", "p1"));
    }

    [Fact]
    public void FailedDownloadRemovesTheFileItCreatedButNotAnExistingOne()
    {
        string created = Path.Combine(_s.Root, "new.bin");
        // An offset past the end makes the engine refuse the range.
        var stderr = _s.Fails("vol-download", "v1", created, "--pool", "p1", "--offset", "999999999");
        Assert.StartsWith("error: cannot download from volume v1\nerror: ", stderr);
        Assert.False(File.Exists(created));

        string existing = _s.WriteFile("old.bin", "keep me");
        _s.Fails("vol-download", "v1", existing, "--pool", "p1", "--offset", "999999999");
        Assert.True(File.Exists(existing));
    }
}

/// <summary>Readings of vol-resize and vol-upload/-download arguments that fail before any volume is needed.</summary>
public sealed class VolDataArgumentTests : IDisposable
{
    private readonly VolumeCliSession _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void ResizeAfterDoubleDashTakesEverythingAsData()
    {
        // virsh: "vol-resize v1 -- -1M --pool p1" → --pool fills the next positional option and p1 is left over.
        var result = _s.Run("vol-resize", "v1", "--", "-1M", "--pool", "p1");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: unexpected data 'p1'\n", result.Stderr);
    }

    [Fact]
    public void OffsetAndLengthReadings()
    {
        string file = _s.WriteFile("up.bin", "x");
        Assert.Equal("error: Numeric value 'abc' for <offset> option is malformed or out of range\n",
            _s.Fails("vol-upload", "v1", file, "--pool", "p1", "--offset", "abc"));
        Assert.Equal("error: Numeric value '-1' for <offset> option is malformed or out of range\n",
            _s.Fails("vol-upload", "v1", file, "--pool", "p1", "--offset", "-1"));
        Assert.Equal("error: Numeric value '1k' for <length> option is malformed or out of range\n",
            _s.Fails("vol-download", "v1", file, "--pool", "p1", "--length", "1k"));
        // The number checks come before the volume lookup, as in virsh.
        Assert.Equal("error: Numeric value 'x' for <offset> option is malformed or out of range\n",
            _s.Fails("vol-download", "nosuch", file, "--offset", "x"));
    }
}
