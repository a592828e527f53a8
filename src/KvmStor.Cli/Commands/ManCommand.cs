using System.Globalization;
using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>
/// <c>kvmstor man [README]</c>: the kvmstor(1) page in roff, written from the command table this very binary runs
/// with. scripts/package.sh runs the binary it packages, so the page in the .deb describes exactly that binary.
/// </summary>
public static class ManCommand
{
    public static CommandDefinition Man => new("man", "print the kvmstor(1) manual page",
        "Writes the manual page in roff on standard output, from the same command table that help prints; with the path of "
        + "README.md, its table of differences from libvirt goes into the page too. The page is dated by SOURCE_DATE_EPOCH "
        + "when set (reproducible builds), else today. scripts/package.sh runs it to build the package.",
        [OptionDefinition.Data("readme", "README.md of the kvmstor sources", required: false).Taking(OptionValues.Files)],
        Run, Internal: true);

    private static bool Run(CommandContext context, ParsedCommand command)
    {
        string? readme = command.String("readme") is { } path ? UserFile.ReadText(path) : null;
        context.Output.Print(ManPage.Render(context.Table, HelpCommand.VersionText, Date(context.Services.Variable("SOURCE_DATE_EPOCH")), readme));
        return true;
    }

    private static DateOnly Date(string? sourceDateEpoch)
    {
        if (sourceDateEpoch is null) return DateOnly.FromDateTime(DateTime.UtcNow);
        if (!long.TryParse(sourceDateEpoch, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
            throw new CommandError($"SOURCE_DATE_EPOCH is not a number of seconds: '{sourceDateEpoch}'");
        return DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime);
    }
}
