using KvmStor.Cli.Commands;
using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;

namespace KvmStor.Cli;

/// <summary>The kvmstor command, callable in-process: parse, run each command, print as virsh prints.</summary>
public static class Cli
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, IDictionary<string, string>? environment = null)
        => Run(args, stdout, stderr, new CliServices
        {
            Environment = environment is null ? new Dictionary<string, string>() : new Dictionary<string, string>(environment),
        });

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, CliServices services)
    {
        CommandTable table;
        Request request;
        try
        {
            // Only parsing before BeforeFirstEffect, which nobody outside the process can see: the ./kvmstor
            // wrapper's up-to-date check may still be running beside it. Nothing may print or run before that call.
            table = CommandTable.CreateDefault();
            request = Understand(args, table);
        }
        finally
        {
            // Even when parsing fails unexpectedly: a crash in a stale binary rebuilds rather than being reported.
            services.BeforeFirstEffect();
        }

        if (request.Error is { } syntaxError)
        {
            stderr.Write("error: " + syntaxError.Message + "\n");
            stderr.Flush();
            return 1;
        }
        var (globals, commands) = (request.Globals!, request.Commands);
        if (globals.Help)
        {
            stdout.Write(HelpCommand.Usage(table));
            stdout.Flush();
            return 0;
        }
        if (globals.Version)
        {
            stdout.Write(HelpCommand.VersionText + "\n");
            stdout.Flush();
            return 0;
        }

        if (commands.Count == 0)
        {
            // virsh would open its interactive shell here; kvmstor has none, so it explains itself.
            stdout.Write(HelpCommand.Usage(table));
            stdout.Flush();
            return 0;
        }

        var output = new OutputWriter(stdout, stderr, globals.Quiet);
        string? uri = globals.ConnectUri ?? services.Variable("KVMSTOR_DEFAULT_URI");
        using var context = new CommandContext(output, services, table, uri);
        bool ok = true;
        foreach (var command in commands)
        {
            ok = Execute(context, command);
            // virsh ends every executed command with an empty line, unless -q (or the output is for a program).
            if (!command.Definition.Internal) output.PrintExtra("\n");
        }
        output.Flush();
        return ok ? 0 : 1;
    }

    /// <summary>The command line understood: its global options and commands, or the syntax error in it.</summary>
    private sealed record Request(GlobalOptions? Globals, List<ParsedCommand> Commands, SyntaxError? Error);

    /// <summary>Parses the whole command line; the commands only when they will run (not for -h or -v).</summary>
    private static Request Understand(string[] args, CommandTable table)
    {
        try
        {
            var globals = GlobalOptions.Parse(args);
            return new Request(globals, globals.Help || globals.Version ? [] : ParseCommands(args, globals, table), null);
        }
        catch (SyntaxError e)
        {
            return new Request(null, [], e);
        }
    }

    /// <summary>One argument is a command string (';'-separated, quoted); several are one command's words.</summary>
    internal static List<ParsedCommand> ParseCommands(string[] args, GlobalOptions globals, CommandTable table)
    {
        var parser = new ArgumentParser(table);
        var words = args.AsSpan(globals.CommandStart).ToArray();
        var commandWords = words.Length == 1 ? CommandLineSplitter.Split(words[0]) : words.Length == 0 ? [] : [[.. words]];
        var parsed = new List<ParsedCommand>();
        foreach (var command in commandWords)
            parsed.Add(parser.Parse(command, globals.Json));
        return parsed;
    }

    internal static bool Execute(CommandContext context, ParsedCommand command)
    {
        var output = context.Output;
        try
        {
            return command.Definition.Handler(context, command);
        }
        catch (CommandError e)
        {
            if (e.VirshLine is not null) output.Error(e.VirshLine);
            if (e.Cause is not null) output.Error(e.Cause.Display);
        }
        catch (StorageException e)
        {
            output.Error(e.Display);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Local file trouble (temp files, unreadable input) is the user's to fix, not a crash.
            output.Error(e.Message);
        }
        return false;
    }
}
