using KvmStor.Cli.Commands;
using KvmStor.Cli.Parsing;

namespace KvmStor.Tests.Cli;

public class HelpTests
{
    private static readonly CommandTable Table = CommandTable.CreateDefault();

    public static TheoryData<string> Synopses() => new(VirshSynopses.Lines);

    [Theory]
    [MemberData(nameof(Synopses))]
    public void SynopsisIsVirshsExceptForJson(string virshLine)
    {
        string name = virshLine.Split(' ')[0];
        var command = Table.Find(name);
        Assert.NotNull(command);
        string help = HelpCommand.ForCommand(command);
        string synopsis = help.Split('\n').SkipWhile(l => l != "  SYNOPSIS").Skip(1).First();
        // kvmstor adds --json (list/info), --allow-grow (vol-upload), --force (guest protection) and --full-copy
        // (vol-clone, vol-create-from) to virsh's options.
        Assert.Equal("    " + virshLine, synopsis.Replace(" [--json]", "").Replace(" [--allow-grow]", "").Replace(" [--force]", "")
            .Replace(" [--full-copy]", ""));
    }

    [Fact]
    public void CommandHelpHasVirshSectionsAndOptionColumns()
    {
        string help = HelpCommand.ForCommand(Table.Find("pool-build")!);
        var lines = help.Split('\n');
        Assert.Equal("  NAME", lines[0]);
        Assert.StartsWith("    pool-build - ", lines[1]);
        Assert.Equal(["", "  SYNOPSIS", "    pool-build <pool> [--no-overwrite] [--overwrite]", "", "  DESCRIPTION"], lines[2..7]);
        int options = Array.IndexOf(lines, "  OPTIONS");
        Assert.StartsWith("    [--pool] <string>  ", lines[options + 1]);
        Assert.StartsWith("    --no-overwrite   ", lines[options + 2]);
        Assert.StartsWith("    --overwrite      ", lines[options + 3]);
        Assert.EndsWith("\n\n", help);
    }

    [Fact]
    public void LongOptionWordsPushTheTextRightByTwoSpaces()
    {
        string help = HelpCommand.ForCommand(Table.Find("pool-event")!);
        Assert.Contains("\n    --timeout <number>  ", help);
        Assert.Contains("\n    --loop           ", help);
    }

    [Fact]
    public void CommandWithoutOptionsHasNoOptionsSection()
    {
        string help = HelpCommand.ForCommand(Table.Find("pool-capabilities")!);
        Assert.DoesNotContain("OPTIONS", help);
        Assert.Contains("  SYNOPSIS\n    pool-capabilities\n", help);
    }

    [Fact]
    public void HelpListsGroupsWithKeywords()
    {
        var result = CliRunner.Run("help");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Grouped commands:\n\n Storage Pool (help keyword 'pool'):\n    find-storage-pool-sources-as   ", result.Stdout);
        Assert.Contains("\n    pool-list                      list pools\n", result.Stdout);
        foreach (var synopsis in VirshSynopses.Lines)
            Assert.Contains("\n    " + synopsis.Split(' ')[0].PadRight(30) + " ", result.Stdout);
        Assert.EndsWith("\n\n\n", result.Stdout);
    }

    [Fact]
    public void HelpOfAGroupKeywordListsOnlyThatGroup()
    {
        var result = CliRunner.Run("help", "pool");
        Assert.StartsWith(" Storage Pool (help keyword 'pool'):\n", result.Stdout);
        Assert.DoesNotContain("Grouped commands", result.Stdout);
    }

    [Fact]
    public void HelpOfAnUnknownName()
    {
        var result = CliRunner.Run("help", "pool-frob");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: command or command group 'pool-frob' doesn't exist\n", result.Stderr);
    }

    [Fact]
    public void DashDashHelpOnACommandShowsItsHelp()
    {
        var viaOption = CliRunner.Run("pool-info", "--help");
        var viaHelp = CliRunner.Run("help", "pool-info");
        Assert.Equal(0, viaOption.ExitCode);
        Assert.Equal(viaHelp.Stdout, viaOption.Stdout);
        Assert.Contains("  OPTIONS\n    [--pool] <string>  ", viaOption.Stdout);
    }

    [Fact]
    public void UsageAndVersion()
    {
        var usage = CliRunner.Run("-h");
        Assert.Equal(0, usage.ExitCode);
        Assert.Contains("-c | --connect=URI", usage.Stdout);
        Assert.Contains(" Storage Pool (help keyword 'pool'):", usage.Stdout);
        var version = CliRunner.Run("--version");
        Assert.Equal(HelpCommand.VersionText + "\n", version.Stdout);
    }

    [Fact]
    public void UsageListsTheGlobalOptionsInVirshsColumns()
    {
        string usage = CliRunner.Run("-h").Stdout;
        Assert.Contains("  options:\n"
            + "    -c | --connect=URI      storage connection (kvmstor:///system or kvmstor:///session)\n"
            + "    -h | --help             show this text\n"
            + "    -q | --quiet            no success messages and no blank line after each command\n"
            + "    -v | --version          print the version\n"
            + "         --json             JSON output (pool-list, pool-info, vol-list, vol-info)\n\n", usage);
    }

    [Fact]
    public void TheVersionIsTheOneInTheVersionFile()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "KvmStor.slnx"))) root = Path.GetDirectoryName(root.TrimEnd('/'))!;
        Assert.Equal(File.ReadAllText(Path.Combine(root, "VERSION")).Trim(), HelpCommand.VersionText);
        Assert.Matches(@"^\d+\.\d+\.\d+$", HelpCommand.VersionText);
    }

    [Fact]
    public void CommandsForProgramsAreLeftOutOfHelpButExplainedByName()
    {
        string all = CliRunner.Run("help").Stdout;
        foreach (var command in Table.Groups.SelectMany(g => g.Commands).Where(c => c.Internal))
        {
            Assert.DoesNotContain("\n    " + command.Name + " ", all);
            Assert.DoesNotContain("\n    " + command.Name + " ", CliRunner.Run("-h").Stdout);
            Assert.Contains("  NAME\n    " + command.Name + " - ", CliRunner.Run("help", command.Name).Stdout);
        }
        Assert.Contains("  SYNOPSIS\n    complete [<words>]...\n", CliRunner.Run("help", "complete").Stdout);
    }
}
