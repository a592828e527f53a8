namespace KvmStor.Cli.Parsing;

/// <summary>Runs one parsed command; returns its success. Failures are usually thrown as <see cref="CommandError"/>.</summary>
public delegate bool CommandHandler(CommandContext context, ParsedCommand command);

/// <summary>A command as the parser, the runner and <c>help</c> see it.</summary>
/// <param name="Summary">One line for the command list and the NAME section.</param>
/// <param name="Description">The DESCRIPTION paragraph of <c>help COMMAND</c> (empty: no section).</param>
/// <param name="SupportsJson">Accepts <c>--json</c> (as an option or as the global flag).</param>
/// <param name="Internal">
/// A command for programs rather than people (virsh's hidden <c>complete</c>): help and completion leave it out, the
/// manual lists it apart, and no empty line follows its output.
/// </param>
public sealed record CommandDefinition(
    string Name,
    string Summary,
    string Description,
    IReadOnlyList<OptionDefinition> Options,
    CommandHandler Handler,
    bool SupportsJson = false,
    bool Internal = false)
{
    public OptionDefinition? FindOption(string name)
    {
        foreach (var option in Options)
            if (option.Name == name) return option;
        return null;
    }
}

/// <summary>Commands listed together by <c>help</c>, as virsh groups them.</summary>
public sealed record CommandGroup(string Title, string Keyword, IReadOnlyList<CommandDefinition> Commands);
