using KvmStor.Cli.Parsing;
using KvmStor.Engine;

namespace KvmStor.Cli.Commands;

/// <summary>pool-edit: the inactive XML in the user's editor, defined again when it changed.</summary>
public static class PoolEditCommand
{
    public static CommandDefinition Edit => new("pool-edit", "edit a pool's XML definition",
        "Opens the pool's persistent definition in $VISUAL, $EDITOR or vi, and defines the result if it changed.",
        [PoolOptions.Pool],
        RunEdit);

    private static bool RunEdit(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command);
        var host = context.Host;
        string original = host.GetPoolXml(pool.Name, inactive: true);
        string file = WriteTempFile(context, original);
        try
        {
            return EditLoop(context, host, pool.Name, original, file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static bool EditLoop(CommandContext context, StorageHost host, string poolName, string original, string file)
    {
        var output = context.Output;
        bool edit = true;
        while (true)
        {
            if (edit)
            {
                context.Services.RunEditor(file, context.Services.Environment);
                string edited = File.ReadAllText(file);
                if (edited == original)
                {
                    output.PrintExtra($"Pool {poolName} XML configuration not changed.\n");
                    return true;
                }
            }
            string candidate = File.ReadAllText(file);

            // Someone may have redefined the pool while the editor was open: never overwrite that silently.
            string? problem = null;
            StorageException? cause = null;
            string current = host.GetPoolXml(poolName, inactive: true);
            if (current != original)
            {
                problem = "The XML configuration was changed by another user.";
                original = current;
            }
            else
            {
                try
                {
                    var defined = host.DefinePool(candidate);
                    output.PrintExtra($"Pool {defined.Name} XML configuration edited.\n");
                    return true;
                }
                catch (StorageException e)
                {
                    problem = "Failed.";
                    cause = e;
                }
            }

            if (!context.Services.StdinIsTerminal)
                throw new CommandError(problem, cause);
            if (cause is not null) output.Error(cause.Display);
            switch (AskAgain(context, problem))
            {
                case 'y': edit = true; break;
                case 'f': edit = false; break;
                default: return false;
            }
        }
    }

    /// <summary>virsh's "Try again?" question; returns y, n or f.</summary>
    private static char AskAgain(CommandContext context, string problem)
    {
        var output = context.Output;
        while (true)
        {
            output.Print($"\r{problem} Try again? [y,n,f,?]: ");
            output.Out.Flush();
            char answer = char.ToLowerInvariant(context.Services.ReadKey());
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

    private static string WriteTempFile(CommandContext context, string xml)
    {
        string directory = context.Services.Variable("TMPDIR") ?? "/tmp";
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
                throw StorageException.System($"cannot create temporary file '{path}'", Host.Errno.FromException(e));
            }
        }
    }
}
