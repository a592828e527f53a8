using System.Collections;
using System.ComponentModel;

namespace KvmStor.Host;

/// <summary>
/// Runs commands for real, with LC_ALL=C so that tools' output is parseable. Each program runs in a process group of
/// its own (see <see cref="ChildProcess"/>) and reads /dev/null unless the command gives it input, so the terminal's
/// Ctrl+C does not reach it by itself: whoever handles Ctrl+C cancels the run's token (the program's group is ended
/// with SIGTERM, then SIGKILL) or fires <paramref name="stopping"/>.
/// Why no PR_SET_PDEATHSIG, which would also cover a SIGKILL of kvmstor itself: it must be set between fork and exec,
/// which neither .NET's Process nor posix_spawn allow, and it fires when the spawning thread (a pool thread here)
/// ends, not the process. A SIGKILLed kvmstor therefore leaves a running program behind, as before.
/// </summary>
/// <param name="stopping">
/// Fires when kvmstor itself is ending (a signal it does not survive): every program still running gets SIGKILL with
/// its whole group at once, since nothing will be left to follow a SIGTERM up.
/// </param>
/// <param name="terminateGrace">
/// How long an ended run's program may take after SIGTERM before its group gets SIGKILL (default
/// <see cref="ChildProcess.TerminateGrace"/>); tests lengthen it to tell "killed at once" from "killed after the grace"
/// without depending on how fast a loaded machine schedules them.
/// </param>
public sealed class ProcessCommandRunner(CancellationToken stopping = default, TimeSpan? terminateGrace = null) : ICommandRunner
{
    public CommandResult Run(CommandLine command, CancellationToken cancellation = default)
    {
        stopping.ThrowIfCancellationRequested();
        cancellation.ThrowIfCancellationRequested();
        string path = Resolve(command.Program) ?? command.Program;
        ChildProcess child;
        try
        {
            child = ChildProcess.Start(path, [path, .. command.Arguments], Environment(command), command.StandardInput is not null);
        }
        catch (Win32Exception e)
        {
            throw StorageException.Internal($"Cannot find '{command.Program}' in path: {e.Message}");
        }
        using (child)
        {
            using var stop = stopping.Register(() => child.SignalGroup(ChildProcessInterop.SIGKILL));
            using var either = stopping.CanBeCanceled && cancellation.CanBeCanceled
                ? CancellationTokenSource.CreateLinkedTokenSource(stopping, cancellation) : null;
            var token = either?.Token ?? (stopping.CanBeCanceled ? stopping : cancellation);
            return child.Wait(command.StandardInput, token, command.TimeLimit, terminateGrace ?? ChildProcess.TerminateGrace);
        }
    }

    public bool Exists(string program) => Resolve(program) is not null;

    /// <summary>Finds a program on PATH (plus the sbin directories, which a non-login root shell may lack).</summary>
    public static string? Resolve(string program)
    {
        if (program.Contains('/')) return File.Exists(program) ? program : null;
        var path = (System.Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>kvmstor's environment, LC_ALL=C, then the command's own variables.</summary>
    private static List<string> Environment(CommandLine command)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            variables[(string)entry.Key] = (string?)entry.Value ?? "";
        variables["LC_ALL"] = "C";
        foreach (var (name, value) in command.Environment) variables[name] = value;
        return variables.Select(v => $"{v.Key}={v.Value}").ToList();
    }
}
