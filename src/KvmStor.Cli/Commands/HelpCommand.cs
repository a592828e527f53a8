using System.Text;
using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary><c>kvmstor help</c>, <c>help KEYWORD</c>, <c>help COMMAND</c> and the -h usage, laid out as virsh lays out its help.</summary>
public static class HelpCommand
{
    public const string VersionText = "0.1.0";

    public static CommandDefinition Help => new("help", "show the commands, or how to use one",
        "Without an argument lists every command by group; with a group keyword lists that group; with a command name shows its options.",
        [OptionDefinition.Data("command", "a command name or group keyword", required: false)],
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

    private static string SynopsisWord(OptionDefinition option) => option.Kind switch
    {
        OptionKind.Bool => $"[--{option.Name}]",
        OptionKind.Int => option.Required ? $"<{option.Name}>" : $"[--{option.Name} <number>]",
        OptionKind.String => $"[--{option.Name} <string>]",
        _ => option.Required ? $"<{option.Name}>" : $"[<{option.Name}>]",
    };

    private static string OptionWord(OptionDefinition option) => option.Kind switch
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
        text.Append("    -c | --connect=URI      storage connection (kvmstor:///system or kvmstor:///session)\n");
        text.Append("    -h | --help             show this text\n");
        text.Append("    -q | --quiet            no success messages and no blank line after each command\n");
        text.Append("    -v | --version          print the version\n");
        text.Append("         --json             JSON output (pool-list, pool-info, vol-list, vol-info)\n\n");
        text.Append("  commands (several may be given in one argument, separated by ';'):\n\n");
        foreach (var group in table.Groups) text.Append(ForGroup(group)).Append('\n');
        text.Append("  (use 'kvmstor help COMMAND' to see a command's options)\n\n");
        return text.ToString();
    }
}
