namespace KvmStor.Tests.Cli;

/// <summary>vol-create-as, vol-create, vol-create-from, vol-clone, vol-delete: messages and XML as virsh 9.0 prints them.</summary>
public sealed class VolCreateTests : IDisposable
{
    private readonly VolumeCliSession _s = new();

    public void Dispose() => _s.Dispose();

    [Fact]
    public void CreateAsPrintXmlIsVirshsDocument()
    {
        // reference transcript: vol-create-as p1 q1 20M --format qcow2 --print-xml
        Assert.Equal("<volume>\n  <name>q1</name>\n  <capacity>20971520</capacity>\n  <target>\n    <format type='qcow2'/>\n  </target>\n</volume>\n\n",
            _s.Ok("vol-create-as", "p1", "q1", "20M", "--format", "qcow2", "--print-xml"));
        Assert.Equal("<volume>\n  <name>k</name>\n  <capacity>1024</capacity>\n  <allocation>0</allocation>\n</volume>\n\n",
            _s.Ok("vol-create-as", "p1", "k", "1024", "--allocation", "0", "--print-xml"));
        Assert.False(File.Exists(_s.VolumePath("p1", "q1")));
    }

    [Fact]
    public void CreateAsSizeErrors()
    {
        Assert.Equal("error: Malformed size abc\n", _s.Fails("vol-create-as", "p1", "v2", "abc"));
        Assert.Equal("error: Malformed size -1\n", _s.Fails("vol-create-as", "p1", "v2", "-1"));
        Assert.Equal("error: Malformed size 1XB\nerror: invalid argument: unknown suffix 'XB'\n", _s.Fails("vol-create-as", "p1", "big", "1XB"));
        Assert.Equal("error: Malformed size 12x\nerror: invalid argument: unknown suffix 'x'\n",
            _s.Fails("vol-create-as", "p1", "v2", "1M", "--allocation", "12x"));
        Assert.Equal("error: Malformed size 99999999999999999999\n", _s.Fails("vol-create-as", "p1", "v2", "99999999999999999999"));
        Assert.Equal("error: Malformed size 20000000E\nerror: numerical overflow: value too large: E\n",
            _s.Fails("vol-create-as", "p1", "v2", "20000000E"));
    }

    [Fact]
    public void CreateAsLooksThePoolUpFirst()
    {
        Assert.Equal("error: failed to get pool 'nosuch'\nerror: Storage pool not found: no storage pool with matching name 'nosuch'\n",
            _s.Fails("vol-create-as", "nosuch", "v1", "abc"));
    }

    [Fact]
    public void CreateAsInInactivePoolIsTheEnginesError()
    {
        _s.AddPool("d1", start: false);
        Assert.Equal("error: Failed to create vol c0\nerror: Requested operation is not valid: storage pool 'd1' is not active\n",
            _s.Fails("vol-create-as", "d1", "c0", "0"));
    }

    [Fact]
    public void CreateAsCreatesAndRefusesADuplicate()
    {
        Assert.Equal("Vol v1 created\n\n", _s.Ok("vol-create-as", "p1", "v1", "10M", "--format", "raw"));
        Assert.Equal(10L << 20, new FileInfo(_s.VolumePath("p1", "v1")).Length);
        Assert.Equal("error: Failed to create vol v1\nerror: storage volume 'v1' exists already\n",
            _s.Fails("vol-create-as", "p1", "v1", "10M", "--format", "raw"));
        Assert.Equal("error: Failed to create vol x/y\nerror: Requested operation is not valid: volume name 'x/y' cannot contain '/'\n",
            _s.Fails("vol-create-as", "p1", "x/y", "1M"));
        Assert.Equal("error: Failed to create vol bogus\nerror: unsupported configuration: unknown volume format type bogus\n",
            _s.Fails("vol-create-as", "p1", "bogus", "1M", "--format", "bogus"));
    }

    [Fact]
    public void QuietHidesTheSuccessMessage()
    {
        var result = _s.Run("-q", "vol-create-as", "p1", "v1", "1M");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void BackingVolIsResolvedToItsPath()
    {
        _s.Ok("vol-create-as", "p1", "q1", "20M", "--format", "qcow2");
        string expected = "<volume>\n  <name>q2</name>\n  <capacity>20971520</capacity>\n  <target>\n    <format type='qcow2'/>\n  </target>\n"
            + $"  <backingStore>\n    <path>{_s.VolumePath("p1", "q1")}</path>\n    <format type='qcow2'/>\n  </backingStore>\n</volume>\n\n";
        Assert.Equal(expected, _s.Ok("vol-create-as", "p1", "q2", "20M", "--format", "qcow2", "--backing-vol", "q1", "--backing-vol-format", "qcow2", "--print-xml"));
        // by path too
        Assert.Equal(expected, _s.Ok("vol-create-as", "p1", "q2", "20M", "--format", "qcow2", "--backing-vol", _s.VolumePath("p1", "q1"), "--backing-vol-format", "qcow2", "--print-xml"));
        Assert.Equal("error: failed to get vol 'nosuch'\nerror: Storage volume not found: no storage vol with matching path 'nosuch'\n",
            _s.Fails("vol-create-as", "p1", "q2", "20M", "--backing-vol", "nosuch", "--print-xml"));
        Assert.Equal("Vol q2 created\n\n", _s.Ok("vol-create-as", "p1", "q2", "20M", "--format", "qcow2", "--backing-vol", "q1", "--backing-vol-format", "qcow2"));
    }

    [Fact]
    public void PreallocMetadataReachesTheEngine()
    {
        Assert.Equal("error: Failed to create vol r2\nerror: unsupported configuration: metadata preallocation is not supported for raw volumes\n",
            _s.Fails("vol-create-as", "p1", "r2", "20M", "--format", "raw", "--prealloc-metadata"));
    }

    [Fact]
    public void CreateFromAFile()
    {
        string file = _s.WriteFile("v.xml", "<volume><name>fv</name><capacity unit='KiB'>64</capacity></volume>");
        Assert.Equal($"Vol fv created from {file}\n\n", _s.Ok("vol-create", "p1", file));
        Assert.Equal($"error: Failed to create vol from {file}\nerror: storage volume 'fv' exists already\n", _s.Fails("vol-create", "p1", file));

        string missing = Path.Combine(_s.Root, "missing.xml");
        Assert.Equal($"error: Failed to open file '{missing}': No such file or directory\n", _s.Fails("vol-create", "p1", missing));
    }

    [Fact]
    public void CreateValidateRefusesBrokenXmlBeforeTheEngine()
    {
        string file = _s.WriteFile("bad.xml", "<volume><name>x</name>");
        var stderr = _s.Fails("vol-create", "p1", file, "--validate");
        Assert.StartsWith($"error: Failed to create vol from {file}\nerror: ", stderr);
    }

    [Fact]
    public void CreateFromAnotherVolume()
    {
        _s.Ok("vol-create-as", "p1", "k", "1M");
        string file = _s.WriteFile("new.xml", "<volume><name>fromk</name><capacity>0</capacity><target><format type='raw'/></target></volume>");
        Assert.Equal("Vol fromk created from input vol k\n\n", _s.Ok("vol-create-from", "p1", file, "k", "--inputpool", "p1"));
        Assert.Equal($"error: Failed to create vol from {file}\nerror: internal error: storage volume name 'fromk' already in use.\n",
            _s.Fails("vol-create-from", "p1", file, "k", "--inputpool", "p1"));
        // By path, without --inputpool.
        File.WriteAllText(file, "<volume><name>fromk2</name><capacity>0</capacity></volume>");
        Assert.Equal("Vol fromk2 created from input vol k\n\n", _s.Ok("vol-create-from", "p1", file, _s.VolumePath("p1", "k")));
    }

    [Fact]
    public void CreateFromHintsAtInputpool()
    {
        string file = _s.WriteFile("new.xml", "<volume><name>fromk</name><capacity>0</capacity></volume>");
        Assert.Equal("error: failed to get vol 'k', specifying --inputpool might help\nerror: Storage volume not found: no storage vol with matching path 'k'\n",
            _s.Fails("vol-create-from", "p1", file, "k"));
    }

    [Fact]
    public void CloneAndItsErrors()
    {
        _s.Ok("vol-create-as", "p1", "v1", "1M");
        Assert.Equal("Vol v1c cloned from v1\n\n", _s.Ok("vol-clone", "v1", "v1c", "--pool", "p1"));
        Assert.True(File.Exists(_s.VolumePath("p1", "v1c")));
        Assert.Equal("error: Failed to clone vol from v1\nerror: internal error: storage volume name 'v1c' already in use.\n",
            _s.Fails("vol-clone", "v1", "v1c", "--pool", "p1"));
        // By path: the clone lands in the source's pool.
        Assert.Equal("Vol v1d cloned from v1\n\n", _s.Ok("vol-clone", _s.VolumePath("p1", "v1"), "v1d"));
        Assert.True(File.Exists(_s.VolumePath("p1", "v1d")));
    }

    [Fact]
    public void ClonePrintXmlIsTheSourceDumpWithTheNewNameOnly()
    {
        _s.Ok("vol-create-as", "p1", "q1", "20M", "--format", "qcow2");
        string dump = _s.Ok("vol-dumpxml", "q1", "--pool", "p1");
        string printed = _s.Ok("vol-clone", "q1", "q1c", "--pool", "p1", "--print-xml");
        // libxml's serialisation: double quotes, no trailing newline (the blank line after the command follows directly).
        string expected = dump.TrimEnd('\n').Replace('\'', '"').Replace("<name>q1</name>", "<name>q1c</name>") + "\n";
        Assert.Equal(expected, printed);
        Assert.Contains($"<key>{_s.VolumePath("p1", "q1")}</key>", printed);
        Assert.False(File.Exists(_s.VolumePath("p1", "q1c")));
    }

    [Fact]
    public void DeleteByNameThenMissing()
    {
        _s.Ok("vol-create-as", "p1", "v1c", "1M");
        Assert.Equal("Vol v1c deleted\n\n", _s.Ok("vol-delete", "v1c", "--pool", "p1"));
        Assert.False(File.Exists(_s.VolumePath("p1", "v1c")));
        Assert.Equal("error: failed to get vol 'v1c'\nerror: Storage volume not found: no storage vol with matching path 'v1c'\n",
            _s.Fails("vol-delete", "v1c", "--pool", "p1"));
    }

    [Fact]
    public void DeleteEchoesTheWordTheUserGave()
    {
        _s.Ok("vol-create-as", "p1", "v1", "1M");
        string path = _s.VolumePath("p1", "v1");
        Assert.Equal($"Vol {path} deleted\n\n", _s.Ok("vol-delete", path));
    }

    [Fact]
    public void DeleteSnapshotsIsRefusedByADirPool()
    {
        // libvirt: only rbd honours --delete-snapshots; a dir pool refuses the flag (the exact text is the engine's).
        _s.Ok("vol-create-as", "p1", "v1", "1M");
        Assert.StartsWith("error: Failed to delete vol v1\nerror: ", _s.Fails("vol-delete", "v1", "--pool", "p1", "--delete-snapshots"));
        Assert.True(File.Exists(_s.VolumePath("p1", "v1")));
    }
}
