using System.Diagnostics;
using System.Security.Cryptography;

namespace KvmStor.IntegrationTests.Security;

/// <summary>
/// An unprivileged user made for the test (useradd --system, no home) and removed afterwards, with a world-readable
/// scratch directory holding a pool directory that user owns: the setting of a pool others can write. Scripts run as
/// the user through setpriv; every process started is killed with its descendants on dispose, by pid.
/// </summary>
public sealed class HostileUser : IDisposable
{
    private readonly List<Process> _processes = [];

    public string Name { get; } = "kvmstor-hostile-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
    public uint Uid { get; }
    public uint Gid { get; }
    /// <summary>0755, root's: the user can reach the pool inside but nothing else here.</summary>
    public string Scratch { get; } = Directory.CreateTempSubdirectory("kvmstor-hostile-").FullName;
    /// <summary>The pool directory, owned by the user, mode 0755.</summary>
    public string Pool => Path.Combine(Scratch, "pool");

    public HostileUser()
    {
        ImagesTestSupport.Run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", Name);
        Uid = uint.Parse(ImagesTestSupport.Run("id", "-u", Name).Trim());
        Gid = uint.Parse(ImagesTestSupport.Run("id", "-g", Name).Trim());
        File.SetUnixFileMode(Scratch, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Pool);
        ImagesTestSupport.Run("chown", $"{Uid}:{Gid}", Pool);
        File.SetUnixFileMode(Pool, (UnixFileMode)0b111_101_101);
    }

    /// <summary>Runs a bash script as the user to its end.</summary>
    public string Run(string script)
    {
        using var p = Start(script);
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"script as {Name} failed ({p.ExitCode}): {p.StandardError.ReadToEnd()}");
        return output;
    }

    /// <summary>Starts a bash script as the user (POOL set); it runs until it ends or the fixture is disposed.</summary>
    public Process Start(string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("setpriv", ["--reuid", Uid.ToString(), "--regid", Gid.ToString(), "--clear-groups", "bash", "-c", script])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/",
        };
        psi.Environment["POOL"] = Pool;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var process = Process.Start(psi)!;
        _processes.Add(process);
        return process;
    }

    public void StopAll()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); p.WaitForExit(10_000); }
            catch (InvalidOperationException) { }
        }
        _processes.Clear();
    }

    public void Dispose()
    {
        StopAll();
        try { Directory.Delete(Scratch, recursive: true); } catch (IOException) { }
        ImagesTestSupport.Run("userdel", Name);
    }
}
