using System.Diagnostics;

namespace KvmStor.IntegrationTests;

/// <summary>
/// A Gluster server that stops answering (its brick SIGSTOPped) while a netfs pool is mounted from it: refresh and
/// upload fail within KVMSTOR_NETWORK_TIMEOUT with a clear error instead of hanging, a stalled upload or download
/// aborts the mount's FUSE connection so that the process exits too, and commands on other pools keep working
/// meanwhile. The brick is continued (SIGCONT) afterwards, even when an assertion fails.
/// </summary>
[Collection(GlusterCollection.Name)]
public sealed class GlusterDeadServerTests(GlusterServerFixture gluster) : IDisposable
{
    private const double Bound = 2;
    private readonly KvmstorProcess _kvmstor = new();
    private readonly Dictionary<string, string> _shortBound = new() { ["KVMSTOR_NETWORK_TIMEOUT"] = "2" };
    private int? _stoppedPid;
    private string Target => Path.Combine(_kvmstor.Root, "pools", "gdead");

    public void Dispose()
    {
        if (_stoppedPid is { } pid) GlusterServer.Signal(pid, "CONT");
        foreach (var line in File.ReadAllLines("/proc/self/mounts"))
            if (line.Split(' ') is [_, var mountPoint, ..] && mountPoint.StartsWith(_kvmstor.Root + "/", StringComparison.Ordinal))
                GlusterServer.Exec(TimeSpan.FromSeconds(15), "umount", "-l", mountPoint);
        GlusterServer.RemoveClientLogsUnder(_kvmstor.Root);
        _kvmstor.Dispose();
    }

    [Fact]
    public void RefreshOfAPoolWhoseServerStoppedFailsWithinTheBound()
    {
        string volume = StartPool("kr");
        Ok("vol-create-as", "gdead", "a.raw", "1M");
        StopBrick(volume);

        var watch = Stopwatch.StartNew();
        var (code, _, stderr) = _kvmstor.RunWith(_shortBound, "pool-refresh", "gdead");
        watch.Stop();
        Assert.Equal(1, code);
        Assert.Contains("Timed out during operation: refresh on 127.0.0.1:/" + volume, stderr);
        Assert.Contains("no answer within 2 s (KVMSTOR_NETWORK_TIMEOUT)", stderr);
        Assert.InRange(watch.Elapsed.TotalSeconds, Bound - 0.1, Bound + 8);

        OtherPoolsStillWork();
        ContinueBrick();
        // As in libvirt, a pool that failed its refresh was stopped (its dead mount detached); once the server is back
        // it starts again.
        Assert.Contains("inactive", Ok("pool-info", "gdead"));
        Assert.False(GlusterNetFsTests.IsMounted(Target));
        Ok("pool-start", "gdead");
        Assert.Contains("a.raw", Ok("vol-list", "gdead"));
        Ok("pool-destroy", "gdead");
    }

    [Fact]
    public void AnUploadThatStallsWhenTheServerStopsFailsWithinTheBound()
    {
        string volume = StartPool("ku");
        Ok("vol-create-as", "gdead", "big.raw", "64M");
        string fifo = Path.Combine(_kvmstor.Root, "upload.fifo");
        Assert.Equal(0, GlusterServer.Exec(TimeSpan.FromSeconds(5), "mkfifo", fifo).ExitCode);

        using var upload = _kvmstor.StartProcess(_shortBound, "vol-upload", "--pool", "gdead", "big.raw", fifo);
        var stdout = upload.StandardOutput.ReadToEndAsync();
        var stopped = new TaskCompletionSource<Stopwatch>();
        var timedOut = new TaskCompletionSource<(string Line, TimeSpan SinceStop)>();
        var text = new System.Text.StringBuilder();
        var stderr = Task.Run(() =>
        {
            while (upload.StandardError.ReadLine() is { } line)
            {
                text.AppendLine(line);
                if (line.Contains("Timed out")) timedOut.TrySetResult((line, stopped.Task.IsCompleted ? stopped.Task.Result.Elapsed : TimeSpan.Zero));
            }
            return text.ToString();
        });
        // The writer side of the pipe is the "user": 4 MiB, a pause longer than the bound (waiting for the user's
        // own input must not count as a stalled server), 4 MiB more; then the server stops mid-upload.
        var writer = Task.Run(() =>
        {
            try
            {
                using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                pipe.Write(new byte[4 << 20].Select((_, i) => (byte)i).ToArray());
                pipe.Flush();
                Thread.Sleep(TimeSpan.FromSeconds(Bound + 1));
                pipe.Write(new byte[4 << 20]);
                pipe.Flush();
                StopBrick(volume);
                stopped.SetResult(Stopwatch.StartNew());
                for (int i = 0; i < 64; i++) pipe.Write(new byte[1 << 20]);
            }
            catch (IOException) { } // the reader gave up: broken pipe
        });

        // The error comes within the bound of the stall, and the process exits with it while the server is still
        // stopped: the write stuck in FUSE fails once kvmstor aborted the mount's FUSE connection.
        Assert.True(timedOut.Task.Wait(TimeSpan.FromSeconds(30)),
            $"no timeout error while the server is stopped (exited: {upload.HasExited}, stopped: {stopped.Task.IsCompleted}): {text}");
        var (message, sinceStop) = timedOut.Task.Result;
        Assert.Contains("error: Timed out during operation: upload on 127.0.0.1:/" + volume + ": no progress within 2 s (KVMSTOR_NETWORK_TIMEOUT)" +
            "; the FUSE connection of " + Target + " was aborted", message);
        Assert.InRange(sinceStop.TotalSeconds, Bound - 0.5, Bound + 6);
        Assert.True(upload.WaitForExit(TimeSpan.FromSeconds(10)), "vol-upload does not exit while the server is stopped");
        var exitedAfterStop = stopped.Task.Result.Elapsed;
        Assert.Equal(1, upload.ExitCode);
        Assert.InRange(exitedAfterStop.TotalSeconds, Bound - 0.5, Bound + 8);
        writer.Wait(TimeSpan.FromSeconds(10));

        OtherPoolsStillWork();
        AbortedPoolCanBeDestroyedAndStartedAgain();
    }

    [Fact]
    public void ADownloadThatStallsWhenTheServerStopsExitsWithinTheBound()
    {
        string volume = StartPool("kd");
        // Never written: no page of it is cached, every read goes to the server.
        Ok("vol-create-as", "gdead", "big.raw", "256M");
        string fifo = Path.Combine(_kvmstor.Root, "download.fifo");
        Assert.Equal(0, GlusterServer.Exec(TimeSpan.FromSeconds(5), "mkfifo", fifo).ExitCode);

        using var download = _kvmstor.StartProcess(_shortBound, "vol-download", "--pool", "gdead", "big.raw", fifo);
        var stdout = download.StandardOutput.ReadToEndAsync();
        var stderr = download.StandardError.ReadToEndAsync();
        Stopwatch? sinceStop = null;
        var reader = Task.Run(() =>
        {
            using var pipe = new FileStream(fifo, FileMode.Open, FileAccess.Read);
            var buffer = new byte[1 << 20];
            pipe.ReadExactly(buffer);
            StopBrick(volume);
            sinceStop = Stopwatch.StartNew();
            long total = buffer.Length;
            int n;
            while ((n = pipe.Read(buffer)) > 0) total += n;
            return total;
        });

        Assert.True(download.WaitForExit(TimeSpan.FromSeconds(40)), "vol-download does not exit while the server is stopped");
        Assert.NotNull(sinceStop);
        var exitedAfterStop = sinceStop!.Elapsed;
        Assert.Equal(1, download.ExitCode);
        Assert.Contains("error: Timed out during operation: download on 127.0.0.1:/" + volume + ": no progress within 2 s (KVMSTOR_NETWORK_TIMEOUT)" +
            "; the FUSE connection of " + Target + " was aborted", stderr.Result);
        Assert.InRange(exitedAfterStop.TotalSeconds, Bound - 0.5, Bound + 8);
        Assert.True(reader.Wait(TimeSpan.FromSeconds(10)));
        Assert.True(reader.Result < 256L << 20, "the whole volume came through although the server was stopped");

        OtherPoolsStillWork();
        AbortedPoolCanBeDestroyedAndStartedAgain();
    }

    /// <summary>The aborted mount answers ENOTCONN: pool-destroy detaches it; once the server is back the pool starts again.</summary>
    private void AbortedPoolCanBeDestroyedAndStartedAgain()
    {
        var (code, _, stderr) = _kvmstor.Run("vol-list", "gdead");
        Assert.Equal(1, code);
        Assert.Contains("Transport endpoint is not connected", stderr);
        Ok("pool-destroy", "gdead");
        Assert.False(GlusterNetFsTests.IsMounted(Target));
        ContinueBrick();
        Ok("pool-start", "gdead");
        Assert.Contains("big.raw", Ok("vol-list", "gdead"));
        Ok("pool-destroy", "gdead");
    }

    [Fact]
    public void AGlusterPoolWhoseServerStoppedFailsVolumeListingAndRefreshWithinTheBound()
    {
        string volume = gluster.NewVolume("kg");
        var env = new Dictionary<string, string>(_shortBound) { ["KVMSTOR_GLUSTER_MOUNT_ROOT"] = Path.Combine(_kvmstor.Root, "gmnt") };
        Assert.Equal(0, _kvmstor.RunWith(env, "pool-define-as", "gdead", "gluster", "--source-host", "127.0.0.1", "--source-name", volume).ExitCode);
        Assert.Equal(0, _kvmstor.RunWith(env, "pool-start", "gdead").ExitCode);
        StopBrick(volume);

        var watch = Stopwatch.StartNew();
        var (code, _, stderr) = _kvmstor.RunWith(env, "vol-list", "gdead");
        Assert.Equal(1, code);
        Assert.Contains($"Timed out during operation: volume listing on 127.0.0.1:/{volume}: no answer within 2 s", stderr);
        (code, _, stderr) = _kvmstor.RunWith(env, "pool-refresh", "gdead");
        Assert.Equal(1, code);
        Assert.Contains($"Timed out during operation: refresh on 127.0.0.1:/{volume}: no answer within 2 s", stderr);
        Assert.InRange(watch.Elapsed.TotalSeconds, 2 * Bound - 0.2, 2 * Bound + 12);

        OtherPoolsStillWork();
        ContinueBrick();
        // The failed refresh stopped the pool (as libvirt does) and took its private mount away.
        Assert.DoesNotContain(File.ReadAllLines("/proc/self/mounts"), l => l.Contains(Path.Combine(_kvmstor.Root, "gmnt")));
        Assert.Equal(0, _kvmstor.RunWith(env, "pool-start", "gdead").ExitCode);
        Assert.Equal(0, _kvmstor.RunWith(env, "pool-destroy", "gdead").ExitCode);
    }

    private string StartPool(string prefix)
    {
        string volume = gluster.NewVolume(prefix);
        Ok("pool-define-as", "gdead", "netfs", "--source-host", "127.0.0.1", "--source-path", "/" + volume,
            "--source-format", "glusterfs", "--target", Target);
        Ok("pool-start", "--build", "gdead");
        return volume;
    }

    private void StopBrick(string volume)
    {
        int pid = gluster.Server.BrickPid(volume) ?? throw new InvalidOperationException("no brick pid");
        GlusterServer.Signal(pid, "STOP");
        _stoppedPid = pid;
    }

    private void ContinueBrick()
    {
        if (_stoppedPid is { } pid) GlusterServer.Signal(pid, "CONT");
        _stoppedPid = null;
    }

    /// <summary>
    /// A dir pool, and listing all pools, do not wait on the dead one: each command returns within the bound, where a
    /// wait on the dead server would take the default network timeout (30 s) or for ever. Each is timed alone: on a busy
    /// host five process start-ups together took 3.5 s.
    /// </summary>
    private void OtherPoolsStillWork()
    {
        string dir = Path.Combine(_kvmstor.Root, "pools", "local");
        if (!Timed(() => _kvmstor.Run("pool-info", "local").Stdout).Contains("running"))
        {
            Timed(() => Ok("pool-define-as", "local", "dir", "--target", dir));
            Timed(() => Ok("pool-start", "--build", "local"));
        }
        Timed(() => Ok("vol-create-as", "local", "v" + Guid.NewGuid().ToString("N")[..6], "1M"));
        Assert.Contains("gdead", Timed(() => Ok("pool-list", "--all")));
    }

    private static string Timed(Func<string> command)
    {
        var watch = Stopwatch.StartNew();
        string stdout = command();
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, Bound);
        return stdout;
    }

    private string Ok(params string[] args)
    {
        var (code, stdout, stderr) = _kvmstor.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)} failed ({code}): {stderr}{stdout}");
        return stdout;
    }
}
