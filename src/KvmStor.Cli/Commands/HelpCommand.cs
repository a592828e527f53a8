using System.Reflection;
using System.Text;
using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary><c>kvmstor help</c>, <c>help KEYWORD</c>, <c>help COMMAND</c> and the -h usage, laid out as virsh lays out its help.</summary>
public static class HelpCommand
{
    /// <summary>The package version, from the VERSION file at the top of the repository (Directory.Build.props reads it).</summary>
    public static string VersionText { get; } =
        typeof(HelpCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static CommandDefinition Help => new("help", "show the commands, or how to use one",
        "Without an argument lists every command by group; with a group keyword lists that group; with a command name shows its options.",
        [OptionDefinition.Data("command", "a command name or group keyword", required: false).Taking(new(ValueKind.Command))],
        RunHelp);

    private static bool RunHelp(CommandContext context, ParsedCommand command)
    {
        var table = context.Table;
        string? name = command.String("command");
        if (name is null)
        {
            context.Output.Print(AllGroups(table));
            return true;
        }
        if (table.Find(name) is { } definition)
        {
            context.Output.Print(ForCommand(definition));
            return true;
        }
        if (table.FindGroup(name) is { } group)
        {
            context.Output.Print(ForGroup(group));
            return true;
        }
        throw new CommandError($"command or command group '{name}' doesn't exist");
    }

    public static string AllGroups(CommandTable table)
    {
        var text = new StringBuilder("Grouped commands:\n\n");
        foreach (var group in table.Groups) text.Append(ForGroup(group)).Append('\n');
        return text.ToString();
    }

    public static string ForGroup(CommandGroup group)
    {
        var text = new StringBuilder();
        text.Append($" {group.Title} (help keyword '{group.Keyword}'):\n");
        foreach (var command in group.Commands)
            if (!command.Internal)
                text.Append("    ").Append(command.Name.PadRight(30)).Append(' ').Append(command.Summary).Append('\n');
        return text.ToString();
    }

    /// <summary>NAME, SYNOPSIS, DESCRIPTION, OPTIONS, each section indented as virsh indents it.</summary>
    public static string ForCommand(CommandDefinition command)
    {
        var text = new StringBuilder();
        text.Append("  NAME\n    ").Append(command.Name).Append(" - ").Append(command.Summary).Append('\n');
        text.Append("\n  SYNOPSIS\n    ").Append(command.Name);
        foreach (var option in command.Options)
            text.Append(' ').Append(SynopsisWord(option));
        text.Append('\n');
        if (command.Description.Length > 0)
            text.Append("\n  DESCRIPTION\n    ").Append(command.Description).Append('\n');
        if (command.Options.Count > 0)
        {
            text.Append("\n  OPTIONS\n");
            foreach (var option in command.Options)
                text.Append("    ").Append(OptionWord(option).PadRight(15)).Append("  ").Append(option.Help).Append('\n');
        }
        text.Append('\n');
        return text.ToString();
    }

    internal static string SynopsisWord(OptionDefinition option) => option.Kind switch
    {
        OptionKind.Bool => $"[--{option.Name}]",
        OptionKind.Argv => option.Required ? $"<{option.Name}>..." : $"[<{option.Name}>]...",
        OptionKind.Int => option.Required ? $"<{option.Name}>" : $"[--{option.Name} <number>]",
        OptionKind.String => $"[--{option.Name} <string>]",
        _ => option.Required ? $"<{option.Name}>" : $"[<{option.Name}>]",
    };

    internal static string OptionWord(OptionDefinition option) => option.Kind switch
    {
        OptionKind.Bool => $"--{option.Name}",
        OptionKind.Int => option.Required ? $"[--{option.Name}] <number>" : $"--{option.Name} <number>",
        OptionKind.String => $"--{option.Name} <string>",
        _ => $"[--{option.Name}] <string>",
    };

    /// <summary>kvmstor -h.</summary>
    public static string Usage(CommandTable table)
    {
        var text = new StringBuilder();
        text.Append("\nkvmstor [options]... [<command_string>]\n");
        text.Append("kvmstor [options]... <command> [args...]\n\n");
        text.Append("  options:\n");
        foreach (var option in GlobalOptions.Known)
        {
            string spelling = (option.Short is { } s ? $"    -{s} | " : "         ") + "--" + option.Long
                + (option.Argument is { } argument ? "=" + argument : "");
            text.Append(spelling.PadRight(28)).Append(option.Help).Append('\n');
        }
        text.Append('\n');
        text.Append("  commands (several may be given in one argument, separated by ';'):\n\n");
        foreach (var group in table.Groups) text.Append(ForGroup(group)).Append('\n');
        text.Append("  (use 'kvmstor help COMMAND' to see a command's options)\n\n");
        return text.ToString();
    }
}
