using System.Globalization;
using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Backends.Local;

/// <summary>
/// Where a volume is built before it appears: a private directory in the pool, made by this process with mode 0700
/// under a name nobody can predict (".kvmstor-partial.&lt;host&gt;.&lt;pid&gt;.&lt;random&gt;"), holding one entry,
/// "volume". Nobody but root can put anything into it, so tools that take a path (qemu-img) may build there, reached
/// through this process's handle of the directory (<see cref="BuildPath"/>) so that renaming the directory cannot
/// redirect them. The finished volume is renamed into the pool relative to both handles, never over an entry that
/// appeared meanwhile. Listings skip these names; an area of this host whose process is gone is emptied and removed
/// by the next listing, one unlinkat at a time, never recursively by path.
/// </summary>
public sealed class VolumeBuildArea : IDisposable
{
    public const string Prefix = ".kvmstor-partial.";
    private const string EntryName = "volume";
    private const int PrivateMode = 0b111_000_000; // 0700

    /// <summary>This host's name as it appears in area names (dots replaced, so the name parses back).</summary>
    private static readonly string HostTag = Environment.MachineName.Replace('.', '_');

    private readonly PoolDirectory _pool;
    private readonly string _areaName;
    private readonly DirectoryHandle _area;
    private bool _moved;

    public VolumeBuildArea(PoolDirectory pool)
    {
        _pool = pool;
        // 24 hex digits from the system's secure random source, through Guid: RandomNumberGenerator would load OpenSSL
        // (about 2 ms of a command's CPU) for these few bytes.
        string random = Guid.NewGuid().ToString("N")[..24];
        _areaName = $"{Prefix}{HostTag}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.{random}";
        try
        {
            pool.Handle.CreateDirectory(_areaName, PrivateMode);
            _area = pool.Handle.OpenDirectory(_areaName);
        }
        catch (FileSystemException e) { throw StorageException.System($"cannot create a build directory in '{pool.Path}'", e.Errno); }
        var status = _area.Status();
        // Whoever can write the pool could have put their own directory at our name between mkdir and open.
        if (status.Owner != Libc.geteuid() || (status.Mode & 0b111_111_111) != PrivateMode)
        {
            _area.Dispose();
            throw PoolDirectory.Replaced(pool.PathOf(_areaName));
        }
    }

    /// <summary>The volume under construction, by a path only this process's handle resolves (for path-taking code and tools).</summary>
    public string BuildPath => System.IO.Path.Combine(_area.StablePath, EntryName);

    /// <summary>Creates the volume file exclusively (mode 0600 until its permissions are applied).</summary>
    public SafeFileHandle CreateFile()
    {
        try { return _area.CreateFile(EntryName, 0b110_000_000); }
        catch (FileSystemException e) { throw StorageException.System($"cannot create path '{BuildPath}'", e.Errno); }
    }

    /// <summary>Opens what was built (file or directory: read-only opens both) without following a link, to set mode and owner on it.</summary>
    public SafeFileHandle OpenBuilt()
    {
        try { return _area.OpenEntry(EntryName, FileAccess.Read); }
        catch (FileSystemException e) { throw StorageException.System($"cannot open '{BuildPath}'", e.Errno); }
    }

    /// <summary>The built entry's status (its inode survives the rename: the format record is made from it).</summary>
    public FileSystemStatus BuiltStatus() =>
        _area.TryStatEntry(EntryName, out var status, out int errno) ? status : throw StorageException.System($"cannot stat '{BuildPath}'", errno);

    /// <summary>Syncs the volume and moves it to <paramref name="finalName"/>; an entry that appeared there meanwhile wins.</summary>
    /// <remarks>
    /// Two syncs, each needed once: the file's before the rename, so that a crash never leaves a volume under its name
    /// with content that was not written yet (a zero-length or half-written qcow2); the pool directory's after it, so
    /// that a volume reported made is still there after a crash. Builders do not sync on their own.
    /// </remarks>
    public void Commit(string finalName)
    {
        SyncBuilt();
        try
        {
            try { DirectoryHandle.Rename(_area, EntryName, _pool.Handle, finalName, replace: false); }
            catch (FileSystemException e) when (e.Errno == Errno.EINVAL) { MoveWithoutRenameFlags(finalName); }
        }
        catch (FileSystemException e) when (e.Errno == Errno.EEXIST) { throw AlreadyExists(_pool.PathOf(finalName)); }
        catch (FileSystemException e) { throw e.ToStorageException(); }
        _moved = true;
        _pool.Handle.Sync();
    }

    /// <summary>
    /// FUSE (gluster) and NFS refuse RENAME_NOREPLACE: a file gets its final name by linkat, which never replaces,
    /// and loses its build name; a directory volume, which cannot be linked, is renamed after a last look.
    /// </summary>
    private void MoveWithoutRenameFlags(string finalName)
    {
        if (BuiltStatus().Kind == FileKind.Directory)
        {
            if (_pool.Handle.TryStatEntry(finalName, out _, out _)) throw new FileSystemException("rename", Errno.EEXIST);
            DirectoryHandle.Rename(_area, EntryName, _pool.Handle, finalName, replace: true);
            return;
        }
        DirectoryHandle.Link(_area, EntryName, _pool.Handle, finalName);
        _area.Unlink(EntryName);
    }

    /// <summary>
    /// Replaces the volume at <paramref name="finalName"/> with what was built (a volume rebuilt in place), but only
    /// while that name still holds <paramref name="expected"/>: a swapped entry is left alone and the build dropped.
    /// </summary>
    public void Replace(string finalName, FileIdentity expected)
    {
        SyncBuilt();
        if (!_pool.Handle.TryStatEntry(finalName, out var current, out _) || current.Identity != expected)
            throw PoolDirectory.Replaced(_pool.PathOf(finalName));
        try { DirectoryHandle.Rename(_area, EntryName, _pool.Handle, finalName, replace: true); }
        catch (FileSystemException e) { throw e.ToStorageException(); }
        _moved = true;
        _pool.Handle.Sync();
    }

    public static StorageException AlreadyExists(string path) =>
        StorageException.Invalid($"volume target path '{path}' already exists");

    /// <summary>Rewrites a failure's text so the user reads the volume's own path, not the build path.</summary>
    public StorageException InTermsOf(StorageException e, string finalPath) =>
        e.Message.Contains(BuildPath, StringComparison.Ordinal)
            ? new StorageException(e.Code, e.Message.Replace(BuildPath, finalPath, StringComparison.Ordinal), e.InnerException)
            : e;

    private void SyncBuilt()
    {
        using var built = OpenBuilt();
        try { FileSystem.DataSync(built); }
        catch (FileSystemException) { } // directories and some file systems cannot; the rename is what must persist
    }

    public void Dispose()
    {
        if (!_moved) RemoveEntry(_area, EntryName);
        _area.Dispose();
        try { _pool.Handle.RemoveDirectory(_areaName); }
        catch (FileSystemException) { } // someone swapped it: a later listing removes ours once we are gone
    }

    public static bool IsPartialName(string name) => name.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>
    /// Removes build areas of this host whose process no longer runs, and only entries it can prove are such areas:
    /// a directory (not a link) owned by us with mode 0700, opened without following links and checked to be the
    /// entry that was looked at. Inside, entries are unlinked through the area's handle; a non-empty sub-directory
    /// is left as it is. Files of earlier kvmstor versions (".kvmstor-partial.&lt;name&gt;.&lt;host&gt;.&lt;pid&gt;") are
    /// unlinked when they are plain files of ours. Other hosts' areas (a shared NFS pool) are never touched.
    /// </summary>
    public static void RemoveStale(PoolDirectory pool, IEnumerable<string> names)
    {
        uint self = Libc.geteuid();
        foreach (var name in names)
        {
            if (!IsPartialName(name) || !IsStaleOfThisHost(name, out bool legacy)) continue;
            if (!pool.Handle.TryStatEntry(name, out var entry, out _) || entry.Owner != self) continue;
            try
            {
                if (legacy)
                {
                    if (entry.Kind == FileKind.Regular) pool.Handle.Unlink(name);
                    continue;
                }
                if (entry.Kind != FileKind.Directory || (entry.Mode & 0b111_111_111) != PrivateMode) continue;
                using (var area = pool.Handle.OpenDirectory(name))
                {
                    if (area.Status().Identity != entry.Identity) continue;
                    foreach (var inner in area.Names()) RemoveEntry(area, inner);
                }
                pool.Handle.RemoveDirectory(name);
            }
            catch (FileSystemException) { } // changed under us, or not empty: leave it
        }
    }

    private static void RemoveEntry(DirectoryHandle directory, string name)
    {
        try
        {
            if (!directory.TryStatEntry(name, out var status, out _)) return;
            if (status.Kind == FileKind.Directory) directory.RemoveDirectory(name);
            else directory.Unlink(name);
        }
        catch (FileSystemException) { }
    }

    /// <summary>Parses "&lt;host&gt;.&lt;pid&gt;.&lt;random&gt;" (or the legacy "&lt;name&gt;.&lt;host&gt;.&lt;pid&gt;") and checks the process is gone.</summary>
    private static bool IsStaleOfThisHost(string name, out bool legacy)
    {
        string[] parts = name[Prefix.Length..].Split('.');
        legacy = false;
        int pid;
        if (parts.Length == 3 && parts[0] == HostTag && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            && parts[2].Length == 24)
            return IsGone(pid);
        legacy = true;
        return parts.Length >= 3 && parts[^2] == HostTag
            && int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out pid) && IsGone(pid);
    }

    private static bool IsGone(int pid) => pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}");
}
