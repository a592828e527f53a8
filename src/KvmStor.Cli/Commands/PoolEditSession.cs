using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;
using KvmStor.Engine;

namespace KvmStor.Cli.Commands;

/// <summary>
/// One pool-edit: temp file, editor, "not changed" check, redefinition, and virsh's "Try again?" loop when the
/// definition fails (asked only on a terminal; otherwise the command fails).
/// </summary>
public sealed class PoolEditSession(Func<string> readXml, Func<string, PoolInfo> define, CliServices services, OutputWriter output)
{
    public bool Run(string poolName)
    {
        string original = readXml();
        string file = WriteTempFile(original);
        try
        {
            return EditLoop(poolName, original, file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private bool EditLoop(string poolName, string original, string file)
    {
        bool edit = true;
        while (true)
        {
            if (edit)
            {
                services.RunEditor(file, services.Environment);
                if (File.ReadAllText(file) == original)
                {
                    output.PrintExtra($"Pool {poolName} XML configuration not changed.\n");
                    return true;
                }
            }
            string candidate = File.ReadAllText(file);

            // Someone may have redefined the pool while the editor was open: never overwrite that silently.
            string problem;
            StorageException? cause = null;
            string current = readXml();
            if (current != original)
            {
                problem = "The XML configuration was changed by another user.";
                original = current;
            }
            else
            {
                try
                {
                    var defined = define(candidate);
                    output.PrintExtra($"Pool {defined.Name} XML configuration edited.\n");
                    return true;
                }
                catch (StorageException e)
                {
                    problem = "Failed.";
                    cause = e;
                }
            }

            if (!services.StdinIsTerminal)
                throw new CommandError(problem, cause);
            if (cause is not null) output.Error(cause.Display);
            switch (AskAgain(problem))
            {
                case 'y': edit = true; break;
                case 'f': edit = false; break;
                default: return false;
            }
        }
    }

    /// <summary>virsh's "Try again?" question; returns y, n or f.</summary>
    private char AskAgain(string problem)
    {
        while (true)
        {
            output.Print($"\r{problem} Try again? [y,n,f,?]: ");
            output.Out.Flush();
            char answer = char.ToLowerInvariant(services.ReadKey());
            if (answer == '?')
            {
                output.Print("\ny - open the editor again\nn - give up, dropping the changes\n"
                    + "f - define the same text again\n? - show these choices\n");
                continue;
            }
            if (answer is 'y' or 'n' or 'f')
            {
                output.Print("\r\n");
                return answer;
            }
        }
    }

    private string WriteTempFile(string xml)
    {
        string directory = services.Variable("TMPDIR") ?? "/tmp";
        for (int attempt = 0; ; attempt++)
        {
            string path = Path.Combine(directory, $"kvmstor{Path.GetRandomFileName()[..6]}.xml");
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                // The definition may name secrets: keep the copy private to the user.
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                using var stream = new FileStream(path, options);
                using var writer = new StreamWriter(stream);
                writer.Write(xml);
                return path;
            }
            catch (IOException) when (File.Exists(path) && attempt < 10)
            {
                // Name taken: pick another.
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw StorageException.System($"cannot create temporary file '{path}'", Errno.FromException(e));
            }
        }
    }
}
