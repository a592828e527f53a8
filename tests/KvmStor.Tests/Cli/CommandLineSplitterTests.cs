using KvmStor.Cli.Parsing;

namespace KvmStor.Tests.Cli;

public class CommandLineSplitterTests
{
    [Fact]
    public void SemicolonsAndNewlinesSeparateCommands()
    {
        var commands = CommandLineSplitter.Split("pool-list --all; pool-info p1\npool-uuid p1;");
        Assert.Equal([["pool-list", "--all"], ["pool-info", "p1"], ["pool-uuid", "p1"]], commands);
    }

    [Fact]
    public void QuotesGroupWordsAndProtectSeparators()
    {
        var commands = CommandLineSplitter.Split("pool-define-as 'a b' dir --target \"/x;y z\" --source-name it\\'s");
        Assert.Equal([["pool-define-as", "a b", "dir", "--target", "/x;y z", "--source-name", "it's"]], commands);
    }

    [Fact]
    public void HashStartsACommentUntilTheEndOfLine()
    {
        var commands = CommandLineSplitter.Split("# set up\npool-list #trailing\npool-info p1");
        Assert.Equal([["pool-list"], ["pool-info", "p1"]], commands);
    }

    [Theory]
    [InlineData("pool-info 'p1", "missing '")]
    [InlineData("pool-info \"p1", "missing \"")]
    [InlineData("pool-info p1\\", "dangling \\")]
    public void UnterminatedQuotingIsASyntaxError(string text, string message)
    {
        Assert.Equal(message, Assert.Throws<SyntaxError>(() => CommandLineSplitter.Split(text)).Message);
    }
}
