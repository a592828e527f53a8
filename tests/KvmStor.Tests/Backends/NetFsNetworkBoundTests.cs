using System.Diagnostics;
using KvmStor.Backends.Fs;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>
/// netfs never waits on its server without a bound: a mount or a source query that hangs fails with
/// "Timed out during operation" once the bound passes; a transfer fails when it stalls, not when it is long.
/// Recorded real output of `gluster --xml volume info all` (GlusterFS 10.3, two volumes) is parsed as libvirt does.
/// </summary>
public sealed class NetFsNetworkBoundTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(400);
    private readonly FsScratch _dir = new();

    public void Dispose() => _dir.Dispose();

    private PoolDefinition Pool(string format) => PoolXml.Parse($"""
        <pool type='netfs'>
          <name>nfs1</name>
          <source><host name='127.0.0.1'/><dir path='/export'/><format type='{format}'/></source>
          <target><path>{_dir.Target}</path></target>
        </pool>
        """);

    [Fact]
    public void AMountThatHangsFailsWithinTheBound()
    {
        var runner = new ReplayRunner("none").Hang($"/bin/mount -o nodev,nosuid,noexec -t nfs 127.0.0.1:/export {_dir.Target}");
        var backend = new NetFsPoolBackend(runner, _dir.MountTable, Bound);
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<StorageException>(() => backend.Start(Pool("nfs")));
        watch.Stop();
        Assert.Equal(ErrorCode.OperationTimeout, e.Code);
        Assert.Equal("Timed out during operation: mount of 127.0.0.1:/export: no answer within 0.4 s (KVMSTOR_NETWORK_TIMEOUT)", e.Display);
        Assert.Equal([$"/bin/mount -o nodev,nosuid,noexec -t nfs 127.0.0.1:/export {_dir.Target}"], runner.Ran);
        Assert.InRange(watch.Elapsed, Bound, Bound + TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void AnUnmountThatHangsFailsWithinTheBound()
    {
        _dir.WriteMounts($"127.0.0.1:/export {_dir.Target} nfs4 rw");
        var runner = new ReplayRunner("none").Hang($"/bin/umount {_dir.Target}");
        var e = Assert.Throws<StorageException>(() => new NetFsPoolBackend(runner, _dir.MountTable, Bound).Stop(Pool("nfs")));
        Assert.Equal([$"/bin/umount {_dir.Target}"], runner.Ran);
        Assert.Equal("Timed out during operation: unmount of 127.0.0.1:/export: no answer within 0.4 s (KVMSTOR_NETWORK_TIMEOUT)", e.Display);
    }

    [Fact]
    public void AnUnresponsiveMountIsDetachedWithoutLookingAtIt()
    {
        Assert.Equal($"/bin/umount --lazy --no-canonicalize {_dir.Target}", MountCommand.DetachUnresponsive(Pool("nfs")).ToString());
        // A mount that answers gets libvirt's plain umount.
        Directory.CreateDirectory(_dir.Target);
        _dir.WriteMounts($"127.0.0.1:/export {_dir.Target} nfs4 rw");
        var runner = new ReplayRunner(FsScratch.Tools).On($"/bin/umount {_dir.Target}", 0);
        new NetFsPoolBackend(runner, _dir.MountTable, Bound).Stop(Pool("nfs"));
        Assert.Equal([$"/bin/umount {_dir.Target}"], runner.Ran);
    }

    [Fact]
    public void SourceQueriesThatHangReportTheTimeoutWhenNothingWasFound()
    {
        var runner = new ReplayRunner("showmount", "gluster")
            .Hang(NetFsSourceFinder.ShowmountCommand("nas9").ToString()).Hang(NetFsSourceFinder.GlusterCommand("nas9").ToString());
        var e = Assert.Throws<StorageException>(() =>
            new NetFsPoolBackend(runner, _dir.MountTable, Bound).FindSources("<source><host name='nas9'/></source>"));
        Assert.Equal(ErrorCode.OperationTimeout, e.Code);
        Assert.StartsWith("Timed out during operation: showmount --no-headers --exports nas9: no answer within 0.4 s", e.Display);
        Assert.Equal(2, runner.Ran.Count); // the Gluster query still ran after NFS timed out
    }

    [Fact]
    public void RecordedGlusterOutputListsEveryVolumeAsAGlusterfsSource()
    {
        string recorded = File.ReadAllText(RecordedOutput.PathOf("GlusterData", "volume-info-all-2-volumes.xml"));
        var runner = new ReplayRunner("gluster")
            .On("gluster --xml --log-file=/dev/null volume info all --remote-host=127.0.0.1", 0, recorded);
        string xml = SourcesXml.Format(PoolType.NetFs, new NetFsPoolBackend(runner, _dir.MountTable).FindSources("<source><host name='127.0.0.1'/></source>"));
        Assert.Equal("""
            <sources>
              <source>
                <host name='127.0.0.1'/>
                <dir path='images'/>
                <format type='glusterfs'/>
              </source>
              <source>
                <host name='127.0.0.1'/>
                <dir path='tv'/>
                <format type='glusterfs'/>
              </source>
            </sources>

            """, xml);
    }

    /// <summary>
    /// showmount's real answer from nfs-ganesha 4.3 (NFSv3 with rpcbind, recorded in a private network namespace):
    /// an export whose path holds a space and has a client list, and one open to everyone.
    /// </summary>
    [Fact]
    public void RecordedShowmountOutputListsEveryExportAsAnNfsSource()
    {
        string recorded = File.ReadAllText(RecordedOutput.PathOf("NfsData", "showmount-ganesha-4.3.txt"));
        var runner = new ReplayRunner("showmount").On("showmount --no-headers --exports 127.0.0.1", 0, recorded);
        Assert.Equal("""
            <sources>
              <source>
                <host name='127.0.0.1'/>
                <dir path='/srv/vm images'/>
                <format type='nfs'/>
              </source>
              <source>
                <host name='127.0.0.1'/>
                <dir path='/export2'/>
                <format type='nfs'/>
              </source>
            </sources>

            """, SourcesXml.Format(PoolType.NetFs, new NetFsPoolBackend(runner, _dir.MountTable).FindSources("<source><host name='127.0.0.1'/></source>")));
    }

    [Fact]
    public void ATransferThatStallsFailsButWaitingForItsInputDoesNot()
    {
        // Waiting 3 bounds for the caller's input is fine…
        var input = new SlowStream(TimeSpan.FromTicks(Bound.Ticks * 3));
        NetworkTransferWatchdog.Run("upload on x:/v", null, default, (w, progress, _) =>
        {
            var source = w.ExcludeWaitsOn(input);
            source.ReadExactly(new byte[1]);
            progress(1, 1);
        }, Bound);

        // …a write that never returns is not.
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<StorageException>(() =>
            NetworkTransferWatchdog.Run("upload on x:/v", null, default, (_, progress, cancel) =>
            {
                progress(1, 2);
                cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(30));
            }, Bound));
        Assert.Equal("Timed out during operation: upload on x:/v: no progress within 0.4 s (KVMSTOR_NETWORK_TIMEOUT)", e.Display);
        Assert.InRange(watch.Elapsed, Bound, Bound + TimeSpan.FromSeconds(3));
    }

    private sealed class SlowStream(TimeSpan delay) : MemoryStream(new byte[16])
    {
        public override int Read(Span<byte> buffer)
        {
            Thread.Sleep(delay);
            return base.Read(buffer);
        }
    }
}
