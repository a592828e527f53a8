using KvmStor.Cli.Parsing;

namespace KvmStor.Tests.Cli;

public class GlobalOptionsTests
{
    [Theory]
    [InlineData("-c kvmstor:///session pool-list")]
    [InlineData("-ckvmstor:///session pool-list")]
    [InlineData("--connect kvmstor:///session pool-list")]
    [InlineData("--connect=kvmstor:///session pool-list")]
    public void ConnectUriForms(string commandLine)
    {
        string[] args = commandLine.Split(' ');
        var options = GlobalOptions.Parse(args);
        Assert.Equal("kvmstor:///session", options.ConnectUri);
        Assert.Equal(args.Length - 1, options.CommandStart);
    }

    [Fact]
    public void BundledFlagsAndStopAtTheCommand()
    {
        var options = GlobalOptions.Parse(["-qc", "u", "--json", "pool-list", "-q"]);
        Assert.True(options.Quiet);
        Assert.True(options.Json);
        Assert.Equal("u", options.ConnectUri);
        Assert.Equal(3, options.CommandStart);
    }

    [Theory]
    [InlineData("-x", "unsupported option '-x'. See --help.")]
    [InlineData("--frob", "unsupported option '--frob'. See --help.")]
    [InlineData("-c", "option '-c'/'--connect' requires an argument")]
    public void Errors(string arg, string message)
    {
        Assert.Equal(message, Assert.Throws<SyntaxError>(() => GlobalOptions.Parse([arg])).Message);
    }
}
