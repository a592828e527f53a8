using System.Diagnostics;
using System.Globalization;
using KvmStor.Host;

namespace KvmStor.Backends.Local;

/// <summary>
/// A volume being built under a hidden name in its pool directory (".kvmstor-partial.&lt;name&gt;.&lt;host&gt;.&lt;pid&gt;"),
/// renamed to its final name only once complete and synced: a crash or a failure never leaves a half-made volume
/// visible. Listings skip these names; a partial file of THIS host whose process is gone is removed by the next
/// listing. Partial files of other hosts (a pool directory on NFS shared by several hosts) are never touched: their
/// process ids mean nothing here.
/// </summary>
public sealed class PartialVolumeFile : IDisposable
{
    public const string Prefix = ".kvmstor-partial.";

    /// <summary>This host's name as it appears in partial names (dots replaced, so the name parses back).</summary>
    private static readonly string HostTag = Environment.MachineName.Replace('.', '_');

    private bool _committed;

    public string FinalPath { get; }
    public string TemporaryPath { get; }

    public PartialVolumeFile(string finalPath)
    {
        FinalPath = finalPath;
        string directory = Path.GetDirectoryName(finalPath)!;
        string name = Path.GetFileName(finalPath), pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        // A long volume name would push the hidden name past NAME_MAX (255 bytes): use a digest of it instead.
        if (System.Text.Encoding.UTF8.GetByteCount(name) > 255 - Prefix.Length - 2 - HostTag.Length - pid.Length)
            name = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)))[..32];
        TemporaryPath = Path.Combine(directory, $"{Prefix}{name}.{HostTag}.{pid}");
        RemovePath(TemporaryPath); // a leftover of an earlier attempt by a process with our (recycled) pid
    }

    public static bool IsPartialName(string name) => name.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// Moves the finished volume into place without replacing anything: a file that appeared meanwhile under the
    /// final name wins and the build fails with libvirt's text.
    /// </summary>
    public void Commit()
    {
        SyncPath(TemporaryPath);
        if (Directory.Exists(TemporaryPath))
        {
            if (Path.Exists(FinalPath)) throw AlreadyExists(FinalPath);
            Directory.Move(TemporaryPath, FinalPath);
        }
        else
        {
            try { File.Move(TemporaryPath, FinalPath, overwrite: false); }
            catch (IOException) when (Path.Exists(FinalPath)) { throw AlreadyExists(FinalPath); }
        }
        _committed = true;
        SyncPath(Path.GetDirectoryName(FinalPath)!);
    }

    /// <summary>Atomically replaces the existing file at the final name (a volume rebuilt in place).</summary>
    public void Replace()
    {
        SyncPath(TemporaryPath);
        File.Move(TemporaryPath, FinalPath, overwrite: true);
        _committed = true;
        SyncPath(Path.GetDirectoryName(FinalPath)!);
    }

    public static StorageException AlreadyExists(string path) =>
        StorageException.Invalid($"volume target path '{path}' already exists");

    public void Dispose()
    {
        if (!_committed) RemovePath(TemporaryPath);
    }

    /// <summary>Removes partial files in <paramref name="directory"/> left by processes of this host that no longer run.</summary>
    public static void RemoveStale(string directory)
    {
        IEnumerable<string> entries;
        try { entries = Directory.EnumerateFileSystemEntries(directory, Prefix + "*").ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        foreach (var path in entries)
        {
            string name = Path.GetFileName(path);
            int dot = name.LastIndexOf('.');
            if (dot < Prefix.Length || !int.TryParse(name.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                continue;
            int hostDot = name.LastIndexOf('.', dot - 1);
            if (hostDot < Prefix.Length - 1 || name[(hostDot + 1)..dot] != HostTag) continue; // another host's, or an old name
            if (pid != Environment.ProcessId && !IsProcessAlive(pid)) RemovePath(path);
        }
    }

    private static bool IsProcessAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static void RemovePath(string path)
    {
        try
        {
            if (Directory.Exists(path) && !File.GetAttributes(path).HasFlag(FileAttributes.ReparsePoint)) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static void SyncPath(string path)
    {
        if (Directory.Exists(path))
        {
            Posix.FsyncDirectory(path);
            return;
        }
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            FileSystem.DataSync(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FileSystemException) { }
    }
}
