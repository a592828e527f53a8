using System.Diagnostics;

namespace KvmStor.Host;

/// <summary>Runs commands for real, with LC_ALL=C so that tools' output is parseable.</summary>
public sealed class ProcessCommandRunner : ICommandRunner
{
    public static ProcessCommandRunner Instance { get; } = new();

    public CommandResult Run(CommandLine command)
    {
        var psi = new ProcessStartInfo(Resolve(command.Program) ?? command.Program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = command.StandardInput is not null,
            UseShellExecute = false,
        };
        foreach (var a in command.Arguments) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        foreach (var (k, v) in command.Environment) psi.Environment[k] = v;

        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw StorageException.Internal($"Cannot find '{command.Program}' in path: {e.Message}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (command.StandardInput is { } input)
            {
                process.StandardInput.BaseStream.Write(input);
                process.StandardInput.Close();
            }
            process.WaitForExit();
            return new CommandResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    public bool Exists(string program) => Resolve(program) is not null;

    /// <summary>Finds a program on PATH (plus the sbin directories, which a non-login root shell may lack).</summary>
    public static string? Resolve(string program)
    {
        if (program.Contains('/')) return File.Exists(program) ? program : null;
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/local/sbin:/usr/sbin:/sbin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
