using System.Text;
using KvmStor.Host;

namespace KvmStor.State;

/// <summary>
/// A log of one-line records shared between processes without a daemon: every writer appends one line
/// (O_APPEND, one write per line, so concurrent writers never interleave), and a listener in another process follows
/// the file from where it stood when it started. Past a size, the next writer moves the file to "&lt;name&gt;.old".
/// What a line means is the caller's business (<see cref="EventLog"/>, <see cref="SecretEventLog"/>).
/// </summary>
/// <param name="fileName">The log's name in the state directory; its lock is the same name with ".lock".</param>
/// <param name="rotateAtBytes">Size past which the next writer moves the log to &lt;name&gt;.old.</param>
public sealed class AppendOnlyLog(StatePaths paths, string fileName, long rotateAtBytes)
{
    private string LogPath => Path.Combine(paths.StateDirectory, fileName);

    private string LockPath => Path.Combine(paths.StateDirectory, Path.ChangeExtension(fileName, ".lock"));

    /// <summary>Appends one line (without its newline; it must not contain one). Best effort: never throws for I/O.</summary>
    public void Append(string line)
    {
        RuntimeDirectory.Ensure(paths.StateDirectory);
        RotateIfLarge();
        try
        {
            // Shared against the rotation's exclusive lock: once a log has been moved away nobody writes to it any
            // more, so a listener that reads the old file to its end has seen every line of it.
            using var appending = FileLock.Shared(LockPath);
            int fd = Libc.open(LogPath, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT | Libc.O_CLOEXEC, 0b110_000_000);
            if (fd < 0) return; // events are best effort: never fail an operation because a listener log is unwritable
            try
            {
                var bytes = Encoding.UTF8.GetBytes(line + "\n");
                Libc.write(fd, bytes, (nuint)bytes.Length);
            }
            finally { Libc.close(fd); }
        }
        catch (Exception failure) when (failure is IOException or StorageException) { }
    }

    private void RotateIfLarge()
    {
        if (new FileInfo(LogPath) is not { Exists: true } info || info.Length <= rotateAtBytes) return;
        try
        {
            // Under a lock and checked again, so two writers never both rotate (the second would move a fresh log away).
            using var rotating = FileLock.Exclusive(LockPath);
            if (new FileInfo(LogPath) is { Exists: true } again && again.Length > rotateAtBytes)
                File.Move(LogPath, LogPath + ".old", overwrite: true);
        }
        catch (Exception e) when (e is IOException or StorageException) { }
    }

    /// <summary>Yields the lines appended after this call, polling the log; ends when <paramref name="cancel"/> fires.</summary>
    public IEnumerable<string> Follow(CancellationToken cancel, TimeSpan? pollInterval = null)
    {
        // The starting point is taken now, not when enumeration begins, so nothing written after this call is missed.
        RuntimeDirectory.Ensure(paths.StateDirectory);
        // Held open from now on (created if need be), so even a rotation before the first poll loses nothing.
        int fd = Libc.open(LogPath, Libc.O_WRONLY | Libc.O_CREAT | Libc.O_CLOEXEC, 0b110_000_000);
        if (fd >= 0) Libc.close(fd);
        var log = OpenLog();
        if (log is not null) log.Position = log.Length;
        return FollowFrom(log, cancel, pollInterval ?? TimeSpan.FromMilliseconds(50));
    }

    /// <summary>
    /// Reads the log through an open handle, so a rotation (the file renamed away) cannot hide its last lines: when
    /// the path names a new file, the old one is read to its end first, then the new one from its start.
    /// </summary>
    private IEnumerable<string> FollowFrom(FileStream? log, CancellationToken cancel, TimeSpan interval)
    {
        var pending = new StringBuilder();
        try
        {
            while (!cancel.IsCancellationRequested)
            {
                log ??= OpenLog();
                bool rotated = log is not null && IsRotated(log);
                if (log is not null)
                    foreach (var line in ReadToEnd(log, pending))
                        yield return line;
                if (rotated)
                {
                    log!.Dispose();
                    log = null;
                    pending.Clear();
                    continue;
                }
                cancel.WaitHandle.WaitOne(interval);
            }
        }
        finally { log?.Dispose(); }
    }

    private static List<string> ReadToEnd(FileStream log, StringBuilder pending)
    {
        long available = log.Length - log.Position;
        if (available <= 0) return [];
        var buffer = new byte[available];
        int read = log.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        pending.Append(Encoding.UTF8.GetString(buffer, 0, read));
        string text = pending.ToString();
        int lastNewline = text.LastIndexOf('\n');
        pending.Clear().Append(text[(lastNewline + 1)..]);
        return [.. text[..(lastNewline + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    /// <summary>Whether the log's path now names another file than the open one (or none).</summary>
    private bool IsRotated(FileStream log)
    {
        ulong openInode = FileSystem.Stat(log.SafeFileHandle).Inode;
        try { return FileSystem.Stat(LogPath).Inode != openInode; }
        catch (FileSystemException) { return true; }
    }

    private FileStream? OpenLog()
    {
        try { return new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }
}
