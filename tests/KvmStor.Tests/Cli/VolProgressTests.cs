using KvmStor.Cli;

namespace KvmStor.Tests.Cli;

/// <summary>Long volume operations: a progress line on a terminal's stderr, none on a pipe, and Ctrl+C as cancellation.</summary>
public sealed class VolProgressTests : IDisposable
{
    private readonly VolumeCliSession _s = new();

    public VolProgressTests() => _s.Ok("vol-create-as", "p1", "v1", "64M", "--format", "raw");

    public void Dispose() => _s.Dispose();

    [Fact]
    public void WipeDrawsAndClearsABarOnATerminal()
    {
        var result = CliRunner.Run(_s.Services(stderrIsTerminal: true), "vol-wipe", "v1", "--pool", "p1");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Vol v1 wiped\n\n", result.Stdout);
        Assert.StartsWith("\rWiping [", result.Stderr);
        Assert.Contains("100.00 %", result.Stderr);
        Assert.Matches(@"\r {40,}\r$", result.Stderr);
    }

    [Fact]
    public void AnAllocatingResizeDrawsABarToo()
    {
        var result = CliRunner.Run(_s.Services(stderrIsTerminal: true), "vol-resize", "v1", "80M", "--pool", "p1", "--allocate");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("Size of volume 'v1' successfully changed to 80M\n\n", result.Stdout);
        Assert.StartsWith("\rAllocating [", result.Stderr);
        Assert.Contains("100.00 %", result.Stderr);
    }

    [Fact]
    public void NothingOnAPipe()
    {
        var result = CliRunner.Run(_s.Services(stderrIsTerminal: false), "vol-wipe", "v1", "--pool", "p1");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
    }

    [Fact]
    public void CtrlCCancelsTheOperation()
    {
        using var interrupt = new InterruptSignal();
        // The first redraw of the bar stands for the user pressing Ctrl+C while the wipe runs.
        var stderr = new InterruptingWriter(interrupt);
        var stdout = new StringWriter();
        int rc = KvmStor.Cli.Cli.Run(["vol-wipe", "v1", "--pool", "p1"], stdout, stderr, _s.Services(stderrIsTerminal: true, interrupt));
        Assert.Equal(1, rc);
        Assert.True(stderr.Interrupted);
        Assert.EndsWith("error: Failed to wipe vol v1\nerror: operation interrupted\n", stderr.ToString());
        Assert.Equal("\n", stdout.ToString());
    }

    private sealed class InterruptingWriter(InterruptSignal interrupt) : StringWriter
    {
        public bool Interrupted { get; private set; }

        public override void Write(string? value)
        {
            if (!Interrupted && value is not null && value.StartsWith('\r') && value.Contains('['))
                Interrupted = interrupt.TryInterrupt();
            base.Write(value);
        }
    }
}
