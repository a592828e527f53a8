using System.Runtime.InteropServices;
using System.Text;
using KvmStor.Engine;
using KvmStor.Host;

namespace KvmStor.State;

/// <summary>
/// Pool events shared between processes without a daemon: every operation appends one line to
/// &lt;state&gt;/events.log (O_APPEND, one write per line, so concurrent writers never interleave), and a
/// pool-event listener in another process follows the file from where it stood when it started.
/// </summary>
public sealed class EventLog(StatePaths paths)
{
    private const long RotateAtBytes = 1 << 20;
    private string LogPath => Path.Combine(paths.StateDirectory, "events.log");

    public void Append(PoolEvent e)
    {
        Directory.CreateDirectory(paths.StateDirectory);
        RotateIfLarge();
        string kind = e.Lifecycle?.ToString() ?? "Refresh";
        string line = $"{e.Time.ToUnixTimeMilliseconds()}\t{e.PoolUuid}\t{kind}\t{Uri.EscapeDataString(e.PoolName)}\n";
        int fd = Posix.OpenMode(LogPath, Posix.O_WRONLY | Posix.O_APPEND | Posix.O_CREAT | Posix.O_CLOEXEC, 0b110_000_000);
        if (fd < 0) return; // events are best effort: never fail an operation because a listener log is unwritable
        try
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            Posix.Write(fd, bytes, (nuint)bytes.Length);
        }
        finally { Posix.Close(fd); }
    }

    private void RotateIfLarge()
    {
        if (new FileInfo(LogPath) is not { Exists: true, Length: > RotateAtBytes }) return;
        try
        {
            // Under a lock and checked again, so two writers never both rotate (the second would move a fresh log away).
            using var rotating = FileLock.Exclusive(Path.Combine(paths.StateDirectory, "events.lock"));
            if (new FileInfo(LogPath) is { Exists: true, Length: > RotateAtBytes })
                File.Move(LogPath, LogPath + ".old", overwrite: true);
        }
        catch (Exception e) when (e is IOException or StorageException) { }
    }

    /// <summary>Yields events appended after this call, polling the log; ends when <paramref name="cancel"/> fires.</summary>
    public IEnumerable<PoolEvent> Follow(CancellationToken cancel, TimeSpan? pollInterval = null)
    {
        // The starting point is taken now, not when enumeration begins, so nothing emitted after this call is missed.
        Directory.CreateDirectory(paths.StateDirectory);
        return FollowFrom(FileLengthOrZero(), cancel, pollInterval ?? TimeSpan.FromMilliseconds(50));
    }

    private IEnumerable<PoolEvent> FollowFrom(long position, CancellationToken cancel, TimeSpan interval)
    {
        var pending = new StringBuilder();
        while (!cancel.IsCancellationRequested)
        {
            long length = FileLengthOrZero();
            if (length < position) position = 0; // rotated: the new file starts fresh
            if (length > position)
            {
                using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                stream.Seek(position, SeekOrigin.Begin);
                var buffer = new byte[length - position];
                int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                position += read;
                pending.Append(Encoding.UTF8.GetString(buffer, 0, read));
                string text = pending.ToString();
                int lastNewline = text.LastIndexOf('\n');
                pending.Clear().Append(text[(lastNewline + 1)..]);
                foreach (var line in text[..(lastNewline + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries))
                    if (Parse(line) is { } e)
                        yield return e;
                continue;
            }
            cancel.WaitHandle.WaitOne(interval);
        }
    }

    private long FileLengthOrZero()
    {
        var info = new FileInfo(LogPath);
        return info.Exists ? info.Length : 0;
    }

    private static PoolEvent? Parse(string line)
    {
        var parts = line.Split('\t');
        if (parts.Length != 4 || !long.TryParse(parts[0], out long ms) || !Guid.TryParse(parts[1], out var uuid))
            return null;
        PoolLifecycleEvent? lifecycle = parts[2] == "Refresh" ? null
            : Enum.TryParse<PoolLifecycleEvent>(parts[2], out var l) ? l : null;
        if (lifecycle is null && parts[2] != "Refresh") return null;
        return new PoolEvent(Uri.UnescapeDataString(parts[3]), uuid, lifecycle, DateTimeOffset.FromUnixTimeMilliseconds(ms));
    }
}
