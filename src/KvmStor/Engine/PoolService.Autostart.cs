using KvmStor.Backends;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.Engine;

// Autostart without a daemon: the first kvmstor use after a host boot (or the shipped systemd unit) starts them.
public sealed partial class PoolService
{
    private const string BootIdPath = "/proc/sys/kernel/random/boot_id";

    /// <summary>
    /// Once per host boot: forget status left from an earlier boot (pools that are not really running any more),
    /// then start every autostart pool. Returns the pools that failed to start, with why; the rest of the work
    /// is not stopped by one failure.
    /// </summary>
    public IReadOnlyList<(string Pool, StorageException Error)> RunAutostartOncePerBoot()
    {
        string marker = Path.Combine(_records.Paths.StateDirectory, "autostarted");
        string bootId = ReadBootId();
        if (ReadMarker(marker) == bootId) return [];

        // Taken before any pool lock and never while holding one: keeps the lock order pool → driver intact.
        using var once = _locks.Autostart();
        if (ReadMarker(marker) == bootId) return [];

        DropStaleStatus();
        var failures = StartAutostartPools().Where(r => r.Error is not null).Select(r => (r.Pool, r.Error!)).ToList();
        AtomicFile.Write(_locks.RuntimeFile("autostarted"), bootId + "\n");
        return failures;
    }

    /// <summary>
    /// Starts every inactive pool marked autostart, in name order, whatever the boot marker says (the explicit
    /// `kvmstor autostart`); each result carries the error of a pool that failed, or null.
    /// </summary>
    public IReadOnlyList<(string Pool, StorageException? Error)> StartAutostartPools()
    {
        var results = new List<(string, StorageException?)>();
        foreach (var record in _records.LoadAll().Where(r => r.Autostart && !r.Active).OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            try
            {
                Start(record.Name, PoolBuildFlags.None);
                results.Add((record.Name, null));
            }
            catch (StorageException e) { results.Add((record.Name, e)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // One broken pool must not stop the others, nor every later command of this boot.
                results.Add((record.Name, new StorageException(ErrorCode.None, e.Message, e)));
            }
        }
        return results;
    }

    /// <summary>Status files that survived a reboot (state kept outside tmpfs) describe pools the backend must confirm.</summary>
    private void DropStaleStatus()
    {
        foreach (var name in _records.Status.Names().ToList())
        {
            using var poolLock = _locks.Pool(name);
            var live = _records.Status.Load(name);
            if (live is null) continue;
            bool running;
            // A backend without a check leaves a pool recorded as running running (the next refresh tells).
            try { running = _records.Backends.Find(live.Type) switch { null => false, IPoolChecker checker => checker.CheckActive(live), _ => true }; }
            catch (StorageException) { running = false; }
            if (!running) _records.Status.Delete(name);
        }
    }

    private static string? ReadMarker(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static string ReadBootId()
    {
        try { return File.ReadAllText(BootIdPath).Trim(); }
        catch (IOException) { return "unknown-boot"; }
    }
}
