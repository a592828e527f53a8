using KvmStor.Model;

namespace KvmStor.IntegrationTests;

/// <summary>
/// The live part of netfs on this host: build and delete only touch the target directory. Mounting needs an NFS or
/// CIFS kernel client (absent here) or a Gluster server; those paths are replayed in the unit tests.
/// </summary>
public sealed class FsPoolNetFsTests
{
    [Fact]
    public void BuildMakesTheTargetAndDeleteRemovesIt()
    {
        string root = Directory.CreateTempSubdirectory("kvmstor-netfsit-").FullName;
        try { BuildAndDelete(root); }
        finally { Directory.Delete(root, recursive: true); }
    }

    private static void BuildAndDelete(string root)
    {
        using var host = FsPoolLoopDevice.OpenHost(root);
        string target = Path.Combine(root, "pools", "nfs1");
        host.Pools.Define($"""
            <pool type='netfs'>
              <name>nfs1</name>
              <source><host name='127.0.0.1'/><dir path='/export'/><format type='nfs'/></source>
              <target><path>{target}</path></target>
            </pool>
            """);
        host.Pools.Build("nfs1", PoolBuildFlags.None);
        Assert.Equal((UnixFileMode)0b111_001_001, File.GetUnixFileMode(target));
        Assert.False(host.Pools.Info("nfs1").Active);

        var e = Assert.Throws<StorageException>(() => host.Pools.Build("nfs1", PoolBuildFlags.NoOverwrite));
        Assert.Equal("Requested operation is not valid: No source device specified when formatting pool 'nfs1'", e.Display);

        host.Pools.Delete("nfs1");
        Assert.False(Directory.Exists(target));
    }
}
