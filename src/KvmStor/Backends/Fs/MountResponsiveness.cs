using System.Collections.Concurrent;
using System.Diagnostics;
using KvmStor.Host;

namespace KvmStor.Backends.Fs;

/// <summary>
/// Asks a mounted network filesystem for its sizes from a separate process before kvmstor touches it. Why not a
/// bounded call on a thread: a thread blocked in a FUSE or NFS request that the server never answers cannot be
/// killed, and the kernel keeps the whole process from exiting until that request ends (for GlusterFS, until the
/// client's ping-timeout, 42 s by default; for a hard NFS mount, never). A stuck probe process is simply left
/// behind, and the command fails at once. One successful probe per mount point and process is enough.
/// </summary>
public static class MountResponsiveness
{
    private const string Probe = "stat";
    private static readonly ConcurrentDictionary<string, bool> Answered = new(StringComparer.Ordinal);

    /// <summary>Throws "Timed out during operation: &lt;what&gt;: no answer within N s" when the mount does not answer statfs in time.</summary>
    /// <param name="fresh">Ask even if it answered earlier in this process (it may have died since).</param>
    public static void Ensure(string mountPoint, string what, TimeSpan? limit, bool fresh = false)
    {
        if (!fresh && Answered.ContainsKey(mountPoint)) return;
        string? program = ProcessCommandRunner.Resolve(Probe);
        if (program is null) return; // no coreutils: nothing to probe with
        // Every standard stream redirected: a stuck probe must not hold kvmstor's own stdout or stderr open.
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in new[] { "--file-system", "--format=%b", mountPoint }) psi.ArgumentList.Add(arg);
        var probe = Process.Start(psi)!;
        TimeSpan bound = limit ?? NetworkTimeout.Limit;
        if (!probe.WaitForExit(bound))
        {
            try { probe.Kill(); } catch (InvalidOperationException) { } // it dies once the kernel lets go of it
            throw NetworkTimeout.TimedOut(what, bound);
        }
        Answered[mountPoint] = true;
        probe.Dispose();
    }
}
