using KvmStor.Cli.Commands;
using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;

namespace KvmStor.Tests.Cli;

/// <summary>Volume option readings that need no engine: sizes, numbers, positional filling, help and the progress line.</summary>
public class VolParsingTests
{
    private static readonly CommandTable Table = CommandTable.CreateDefault();

    private static ParsedCommand Parse(params string[] words) => new ArgumentParser(Table).Parse(words);

    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("1024", 1024UL)]
    [InlineData("+1024", 1024UL)]
    [InlineData("10M", 10UL << 20)]
    [InlineData("10MiB", 10UL << 20)]
    [InlineData("10MB", 10_000_000UL)]
    [InlineData("1k", 1024UL)]
    [InlineData("2bytes", 2UL)]
    [InlineData("1E", 1UL << 60)]
    public void Sizes(string text, ulong bytes) => Assert.Equal(bytes, VolumeOptions.Size(text));

    [Theory]
    [InlineData("abc", "Malformed size abc", null)]
    [InlineData("-1", "Malformed size -1", null)]
    [InlineData("", "Malformed size ", null)]
    [InlineData("1XB", "Malformed size 1XB", "invalid argument: unknown suffix 'XB'")]
    [InlineData("16E", "Malformed size 16E", "numerical overflow: value too large: E")]
    public void SizeErrors(string text, string line, string? cause)
    {
        var e = Assert.Throws<CommandError>(() => VolumeOptions.Size(text));
        Assert.Equal(line, e.VirshLine);
        Assert.Equal(cause, e.Cause?.Display);
    }

    [Fact]
    public void OffsetAndLength()
    {
        var range = VolumeOptions.Range(Parse("vol-upload", "v", "f", "--offset", "4096", "--length", "100", "--sparse"));
        Assert.Equal(new KvmStor.Model.TransferRange(4096, 100, true), range);
        // A negative length wraps in virsh, i.e. "to the end"; kvmstor says so with 0.
        Assert.Equal(0UL, VolumeOptions.Range(Parse("vol-download", "v", "f", "--length", "-5")).Length);
        Assert.Equal(new KvmStor.Model.TransferRange(0, 0, false), VolumeOptions.Range(Parse("vol-download", "v", "f")));
        Assert.Throws<CommandError>(() => VolumeOptions.Range(Parse("vol-download", "v", "f", "--length", "-x")));
        Assert.Throws<CommandError>(() => VolumeOptions.Range(Parse("vol-download", "v", "f", "--offset", "18446744073709551616")));
    }

    [Fact]
    public void PositionalWordsFillVirshsOrder()
    {
        var command = Parse("vol-create-as", "p1", "v1", "10M");
        Assert.Equal(("p1", "v1", "10M"), (command.Raw("pool"), command.Raw("name"), command.Raw("capacity")));
        // --pool of the vol-* commands is a string option that virsh 9.0 also fills positionally.
        command = Parse("vol-info", "v1", "p1");
        Assert.Equal("p1", command.Raw("pool"));
        command = Parse("vol-resize", "v1", "-1M", "--shrink");
        Assert.Equal("-1M", command.Raw("capacity"));
        Assert.Equal("error: command 'vol-clone' requires <vol> option\nerror: command 'vol-clone' requires <newname> option",
            "error: " + Assert.Throws<SyntaxError>(() => Parse("vol-clone")).Message);
        Assert.Equal("command 'vol-list' doesn't support option --all", Assert.Throws<SyntaxError>(() => Parse("vol-list", "p1", "--all")).Message);
    }

    [Fact]
    public void PrintXmlAndHelpNeedNoEngineBeyondThePool()
    {
        var result = CliRunner.Run("help", "volume");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith(" Storage Volume (help keyword 'volume'):\n    vol-clone                      ", result.Stdout);
        Assert.Contains("\n    vol-wipe                       ", result.Stdout);
    }

    [Fact]
    public void ProgressLine()
    {
        Assert.Equal("Wiping [------------------------------]   0.00 %", ProgressBar.Render("Wiping", 0));
        Assert.Equal("Wiping [###############---------------]  50.00 %", ProgressBar.Render("Wiping", 5000));
        Assert.Equal("Copying [##############################] 100.00 %", ProgressBar.Render("Copying", 10000));
    }

    [Fact]
    public void ProgressIsDrawnOnlyOnATerminalAndOnlyWhenItChanges()
    {
        var terminal = new StringWriter();
        var bar = new ProgressBar(terminal, "Wiping", enabled: true);
        bar.Report(0, 400);
        bar.Report(1, 400);
        bar.Report(1, 400);
        bar.Report(400, 400);
        bar.Finish();
        string drawn = terminal.ToString();
        Assert.Equal(3, drawn.Split("\rWiping [").Length - 1);
        Assert.EndsWith("\r" + new string(' ', ProgressBar.Render("Wiping", 10000).Length) + "\r", drawn);
        Assert.Contains("  0.25 %", drawn);

        var pipe = new StringWriter();
        var silent = new ProgressBar(pipe, "Wiping", enabled: false);
        silent.Report(1, 2);
        silent.Finish();
        Assert.Equal("", pipe.ToString());
    }

    [Fact]
    public void CountingReadStreamKnowsHowFarAPipeWasRead()
    {
        using var counted = new CountingReadStream(new MemoryStream(new byte[10]));
        var buffer = new byte[4];
        Assert.Equal(4, counted.Read(buffer, 0, 4));
        Assert.Equal((4L, false), (counted.BytesRead, counted.ReachedEnd));
        Assert.Equal(4, counted.Read(buffer.AsSpan()));
        Assert.Equal(2, counted.Read(buffer, 0, 4));
        Assert.False(counted.ReachedEnd);
        Assert.Equal(0, counted.Read(buffer, 0, 4));
        Assert.Equal((10L, true), (counted.BytesRead, counted.ReachedEnd));
        Assert.Throws<NotSupportedException>(() => counted.Write(buffer, 0, 1));
    }
}
