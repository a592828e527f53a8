using KvmStor.Cli;

namespace KvmStor.Tests.Cli;

/// <summary>The runner: exit codes, stdout/stderr split, virsh's blank line after every executed command.</summary>
public class CliRunTests
{
    [Fact]
    public void EveryExecutedCommandEndsWithABlankLine()
    {
        var result = CliRunner.Run("pool-event", "--list");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("lifecycle\nrefresh\n\n", result.Stdout);
    }

    [Fact]
    public void QuietDropsTheBlankLineButNotTheResult()
    {
        var result = CliRunner.Run("-q", "pool-event", "--list");
        Assert.Equal("lifecycle\nrefresh\n", result.Stdout);
    }

    [Fact]
    public void SyntaxErrorsPrintNoBlankLineAndRunNothing()
    {
        var result = CliRunner.Run("pool-list", "--foo");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Equal("error: command 'pool-list' doesn't support option --foo\n", result.Stderr);

        result = CliRunner.Run("pool-define-as");
        Assert.Equal("error: command 'pool-define-as' requires <name> option\nerror: command 'pool-define-as' requires <type> option\n",
            result.Stderr);
    }

    [Fact]
    public void FailingCommandPrintsErrorOnStderrAndTheBlankLineOnStdout()
    {
        var result = CliRunner.Run("pool-event");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: either --list or --event <type> is required\n", result.Stderr);
        Assert.Equal("\n", result.Stdout);

        result = CliRunner.Run("pool-event", "--event", "bogus");
        Assert.Equal("error: unknown event type bogus\n", result.Stderr);
    }

    [Fact]
    public void EmptyArgumentIsRefusedWithVirshMessage()
    {
        var result = CliRunner.Run("pool-define-as", "", "dir", "--print-xml");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Failed to get option 'name': Option argument is empty\n", result.Stderr);
    }

    [Fact]
    public void OneArgumentMayHoldSeveralCommands()
    {
        var result = CliRunner.Run("pool-event --list; pool-define-as 'a b' dir --print-xml");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("lifecycle\nrefresh\n\n<pool type='dir'>\n  <name>a b</name>\n</pool>\n\n", result.Stdout);
    }

    [Fact]
    public void ASyntaxErrorInAnyCommandStopsAllOfThem()
    {
        var result = CliRunner.Run("pool-event --list; pool-list --foo");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void ExitStatusIsTheLastCommands()
    {
        Assert.Equal(0, CliRunner.Run("pool-event; pool-event --list").ExitCode);
        Assert.Equal(1, CliRunner.Run("pool-event --list; pool-event").ExitCode);
    }

    [Fact]
    public void GlobalOptionErrors()
    {
        var result = CliRunner.Run("-z", "pool-list");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: unsupported option '-z'. See --help.\n", result.Stderr);
    }

    [Fact]
    public void GlobalJsonOnACommandWithoutJson()
    {
        var result = CliRunner.Run("--json", "pool-event", "--list");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: command 'pool-event' doesn't support option --json\n", result.Stderr);
    }

    [Fact]
    public void ConnectUriAndDefaultUriReachTheEngineFactory()
    {
        var seen = new List<string?>();
        var services = new CliServices
        {
            Environment = new Dictionary<string, string> { ["KVMSTOR_DEFAULT_URI"] = "kvmstor:///session" },
            OpenHost = uri => { seen.Add(uri); throw new StorageException(ErrorCode.None, "no engine here"); },
        };
        var result = CliRunner.Run(services, "pool-list");
        Assert.Equal(["kvmstor:///session"], seen);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: failed to connect to the hypervisor\nerror: no engine here\n", result.Stderr);

        CliRunner.Run(services, "-c", "kvmstor:///system", "pool-info", "p1");
        Assert.Equal("kvmstor:///system", seen[^1]);
    }

    [Fact]
    public void PoolNameLooksUpOnlyByUuidAndSaysSoInOneLine()
    {
        // virsh does not even ask the driver when the word cannot be a UUID.
        var result = CliRunner.Run("pool-name", "d1");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: failed to get pool 'd1'\n", result.Stderr);
    }

    [Fact]
    public void UnreadableFileGivesVirshsOneLineError()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"kvmstor-missing-{Guid.NewGuid():N}.xml");
        var result = CliRunner.Run("pool-define", missing);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: Failed to open file '{missing}': No such file or directory\n", result.Stderr);
    }

    [Fact]
    public void ValidateRejectsMalformedXmlBeforeTheEngine()
    {
        string dir = Directory.CreateTempSubdirectory("kvmstor-cli-").FullName;
        try
        {
            string file = Path.Combine(dir, "bad.xml");
            File.WriteAllText(file, "<pool type='dir'>\n  <name>x</name>\n");
            var result = CliRunner.Run("pool-define", file, "--validate");
            Assert.Equal(1, result.ExitCode);
            var lines = result.Stderr.Split('\n');
            Assert.Equal($"error: Failed to define pool from {file}", lines[0]);
            Assert.StartsWith("error: (storage_pool_definition):", lines[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DirectoryInsteadOfFile()
    {
        string dir = Directory.CreateTempSubdirectory("kvmstor-cli-").FullName;
        try
        {
            var result = CliRunner.Run("pool-create", dir);
            Assert.Equal($"error: Failed to read file '{dir}': Is a directory\n", result.Stderr);
        }
        finally
        {
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void PoolStartLooksThePoolUpBeforeCheckingExclusiveFlagsButPoolCreateDoesNot()
    {
        var services = new CliServices { OpenHost = _ => throw new StorageException(ErrorCode.None, "unreachable") };
        var start = CliRunner.Run(services, "pool-start", "x", "--overwrite", "--no-overwrite");
        Assert.Equal("error: failed to connect to the hypervisor\nerror: unreachable\n", start.Stderr);
        var create = CliRunner.Run(services, "pool-create", "/nonexistent.xml", "--overwrite", "--no-overwrite");
        Assert.Equal("error: Options --overwrite and --no-overwrite are mutually exclusive\n", create.Stderr);
    }

    [Fact]
    public void InvalidTimeoutUsesVirshsMessage()
    {
        var result = CliRunner.Run("pool-event", "--event", "lifecycle", "--timeout", "0");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Numeric value '0' for <timeout> option is malformed or out of range\n", result.Stderr);
    }
}
