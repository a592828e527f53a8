using KvmStor.Cli.Parsing;

namespace KvmStor.Tests.Cli;

public class ArgumentParserTests
{
    private static readonly CommandTable Table = CommandTable.CreateDefault();

    private static ParsedCommand Parse(params string[] words) => new ArgumentParser(Table).Parse(words);

    private static string ParseError(params string[] words) =>
        Assert.Throws<SyntaxError>(() => Parse(words)).Message;

    [Fact]
    public void DataOptionsFillPositionallyInDeclarationOrder()
    {
        var parsed = Parse("pool-define-as", "p1", "dir", "--target", "/srv/p1");
        Assert.Equal("p1", parsed.Required("name"));
        Assert.Equal("dir", parsed.Required("type"));
        Assert.Equal("/srv/p1", parsed.String("target"));
    }

    [Fact]
    public void NamedDataOptionLeavesPositionalWordsToTheNextOptions()
    {
        var parsed = Parse("pool-define-as", "--type", "dir", "p1");
        Assert.Equal("p1", parsed.Required("name"));
        Assert.Equal("dir", parsed.Required("type"));

        parsed = Parse("pool-define-as", "--name=p2", "logical");
        Assert.Equal("p2", parsed.Required("name"));
        Assert.Equal("logical", parsed.Required("type"));
    }

    [Fact]
    public void OptionsMayComeBeforePositionalWords()
    {
        var parsed = Parse("pool-define-as", "--print-xml", "--source-name", "vg", "p6", "logical");
        Assert.True(parsed.Flag("print-xml"));
        Assert.Equal("vg", parsed.String("source-name"));
        Assert.Equal("p6", parsed.Required("name"));
    }

    [Fact]
    public void StringOptionsAlsoTakePositionalWordsAsVirsh90Does()
    {
        // virsh find-storage-pool-sources-as netfs 127.0.0.1 treats the address as --host.
        var parsed = Parse("find-storage-pool-sources-as", "netfs", "127.0.0.1", "2049");
        Assert.Equal("127.0.0.1", parsed.String("host"));
        Assert.Equal("2049", parsed.String("port"));
    }

    [Fact]
    public void NamedOnlyOptionNeverTakesAPositionalWord()
    {
        Assert.Equal("unexpected data '//target'", ParseError("pool-dumpxml", "p1", "//target"));
        Assert.Equal("//target", Parse("pool-dumpxml", "p1", "--xpath", "//target").String("xpath"));
    }

    [Fact]
    public void DoubleDashEndsOptions()
    {
        var parsed = Parse("pool-info", "--", "--bytes");
        Assert.Equal("--bytes", parsed.Required("pool"));
        Assert.False(parsed.Flag("bytes"));
    }

    [Fact]
    public void WordsThatAreNotDoubleDashLetterAreData()
    {
        Assert.Equal("-x", Parse("pool-info", "-x").Required("pool"));
    }

    [Fact]
    public void EqualsFormGivesValueEvenIfItLooksLikeAnOption()
    {
        Assert.Equal("--odd", Parse("pool-list", "--type=--odd").Raw("type"));
        Assert.Equal("--all", Parse("pool-list", "--type", "--all").Raw("type"));
    }

    [Fact]
    public void ErrorsUseVirshWording()
    {
        Assert.Equal("unknown command: 'pool-frobnicate'", ParseError("pool-frobnicate"));
        Assert.Equal("command 'pool-list' doesn't support option --foo", ParseError("pool-list", "--foo"));
        Assert.Equal("unexpected data 'p1'", ParseError("pool-list", "--type", "dir", "p1"));
        Assert.Equal("unexpected data 'extra'", ParseError("pool-info", "p1", "extra"));
        Assert.Equal("command 'pool-info' requires <pool> option", ParseError("pool-info", "--bytes"));
        Assert.Equal("expected syntax: --type <string>", ParseError("pool-list", "--type"));
        Assert.Equal("expected syntax: --timeout <number>", ParseError("pool-event", "--timeout"));
        Assert.Equal("option --all already seen", ParseError("pool-list", "--all", "--all"));
        Assert.Equal("invalid '=' after option --all", ParseError("pool-list", "--all=yes"));
    }

    [Fact]
    public void EveryMissingRequiredOptionIsReported()
    {
        Assert.Equal("command 'pool-define-as' requires <name> option\nerror: command 'pool-define-as' requires <type> option",
            ParseError("pool-define-as"));
    }

    [Fact]
    public void HelpOptionTurnsIntoHelpForTheCommand()
    {
        var parsed = Parse("pool-list", "--all", "--help");
        Assert.Equal("help", parsed.Name);
        Assert.Equal("pool-list", parsed.String("command"));
    }

    [Fact]
    public void GlobalJsonOnlyForCommandsThatSupportIt()
    {
        Assert.True(new ArgumentParser(Table).Parse(["pool-list"], globalJson: true).Flag("json"));
        var error = Assert.Throws<SyntaxError>(() => new ArgumentParser(Table).Parse(["pool-start", "p1"], globalJson: true));
        Assert.Equal("command 'pool-start' doesn't support option --json", error.Message);
    }

    [Fact]
    public void EmptyValueIsRefusedWhenTheCommandReadsIt()
    {
        var parsed = Parse("pool-info", "");
        var error = Assert.Throws<CommandError>(() => parsed.Required("pool"));
        Assert.Equal("Failed to get option 'pool': Option argument is empty", error.VirshLine);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("4294967296")]
    public void MalformedNumbersUseVirshMessage(string value)
    {
        var parsed = Parse("pool-event", "--event", "lifecycle", "--timeout", value);
        var error = Assert.Throws<CommandError>(() => parsed.UInt("timeout"));
        Assert.Equal($"Numeric value '{value}' for <timeout> option is malformed or out of range", error.VirshLine);
    }

    [Fact]
    public void ExclusiveOptionsMessage()
    {
        var parsed = Parse("pool-start", "d1", "--overwrite", "--no-overwrite");
        var error = Assert.Throws<CommandError>(() => parsed.Exclusive("overwrite", "no-overwrite"));
        Assert.Equal("Options --overwrite and --no-overwrite are mutually exclusive", error.VirshLine);
    }

    [Fact]
    public void AWordListTakesEveryPositionalWordKeepingEmptyOnesAndDashesAfterTheSeparator()
    {
        Assert.Equal(["vol-info", "--pool", "p1", ""], Parse("complete", "--", "vol-info", "--pool", "p1", "").Words("words"));
        Assert.Equal(["a", "b"], Parse("complete", "a", "b").Words("words"));
        Assert.Empty(Parse("complete").Words("words"));
        Assert.Equal("command 'complete' doesn't support option --pool",
            Assert.Throws<SyntaxError>(() => Parse("complete", "vol-info", "--pool")).Message);
    }
}
