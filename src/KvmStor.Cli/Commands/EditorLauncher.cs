using System.ComponentModel;
using System.Diagnostics;

namespace KvmStor.Cli.Commands;

/// <summary>Runs $VISUAL, else $EDITOR, else vi on a file, attached to the terminal, and waits for it.</summary>
public static class EditorLauncher
{
    /// <summary>Characters that need no shell quoting: an editor made only of them is run directly (as virsh does).</summary>
    private const string PlainCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:@/";

    public static string Choose(IReadOnlyDictionary<string, string> environment)
    {
        foreach (var name in new[] { "VISUAL", "EDITOR" })
            if (environment.TryGetValue(name, out var value) && value.Length > 0) return value;
        return "vi";
    }

    public static bool IsPlain(string text) => text.All(c => PlainCharacters.Contains(c));

    public static void Run(string file, IReadOnlyDictionary<string, string> environment)
    {
        string editor = Choose(environment);
        ProcessStartInfo start;
        string shown;
        if (IsPlain(editor))
        {
            start = new ProcessStartInfo(editor) { ArgumentList = { file } };
            shown = $"{editor} {file}";
        }
        else
        {
            // The user may put options in $EDITOR ("code --wait"): let a shell split it, as everyone does.
            if (!IsPlain(file))
                throw StorageException.Internal($"{file}: temporary file name has characters a shell would interpret (is $TMPDIR wrong?)");
            start = new ProcessStartInfo("sh") { ArgumentList = { "-c", $"{editor} {file}" } };
            shown = $"sh -c {editor} {file}";
        }
        start.UseShellExecute = false;
        int exitCode;
        try
        {
            using var process = Process.Start(start)!;
            process.WaitForExit();
            exitCode = process.ExitCode;
        }
        catch (Win32Exception)
        {
            throw StorageException.System($"Cannot find '{start.FileName}' in path", Errno.ENOENT);
        }
        if (exitCode != 0)
            throw StorageException.Internal($"Child process ({shown}) unexpected exit status {exitCode}");
    }
}
