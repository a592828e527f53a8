using KvmStor.Cli;
using KvmStor.Cli.Wrapper;
using KvmStor.Engine;

namespace KvmStor.Tests.Cli;

/// <summary>
/// The ./kvmstor wrapper's up-to-date check runs beside start-up, so what matters is where it is waited for: before
/// anything kvmstor prints and before any command runs, whatever the command line. A stale tree rebuilds there (the
/// rebuild stands in for the wrapper's exec), a current one lets the command run, a failure of the check surfaces there.
/// </summary>
public sealed class SourceTreeCheckTests : IDisposable
{
    private readonly string _tree = Directory.CreateTempSubdirectory("kvmstor-check-").FullName;

    public void Dispose() => Directory.Delete(_tree, recursive: true);

    private sealed class Rebuilt(string root, string[] args) : Exception("rebuild")
    {
        public string Root { get; } = root;
        public string[] Args { get; } = args;
    }

    private static void Rebuild(string root, string[] args) => throw new Rebuilt(root, args);

    /// <summary>A tree as a build leaves it: its inputs, then (a clock tick later) the list of them.</summary>
    private void Built()
    {
        Directory.CreateDirectory(Path.Combine(_tree, "out"));
        Directory.CreateDirectory(Path.Combine(_tree, "src"));
        File.WriteAllText(Path.Combine(_tree, "src", "Host.cs"), "class Host { }\n");
        File.WriteAllText(Path.Combine(_tree, "Directory.Build.props"), "<Project />\n");
        TickPasses();
        File.WriteAllText(Path.Combine(_tree, SourceTreeFreshness.StampPath),
            "# suffixes .cs .props\nt .\nf Directory.Build.props\nd src\nf src/Host.cs\n");
        TickPasses();
    }

    /// <summary>File times move in clock ticks of up to 10 ms: what happens after this is strictly later.</summary>
    private static void TickPasses() => Thread.Sleep(30);

    private void EditedInPlace() => File.AppendAllText(Path.Combine(_tree, "src", "Host.cs"), "// edited\n");

    /// <summary>Runs the CLI the way Main does, noting what had happened when the check was waited for.</summary>
    private static (CliResult Result, string? SeenAtJoin, bool HostOpened) Run(Action finishCheck, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        bool hostOpened = false;
        string? seenAtJoin = null;
        int joins = 0;
        var services = new CliServices
        {
            OpenHost = uri =>
            {
                hostOpened = true;
                return CliRunner.NoEngine(uri);
            },
            BeforeFirstEffect = () =>
            {
                joins++;
                seenAtJoin = $"stdout '{stdout}', stderr '{stderr}', host {(hostOpened ? "opened" : "not opened")}";
                finishCheck();
            },
        };
        int rc;
        try
        {
            rc = KvmStor.Cli.Cli.Run(args, stdout, stderr, services);
        }
        catch (InvalidOperationException) when (hostOpened)
        {
            rc = -1; // the command ran and reached the engine (NoEngine's refusal): it ran after the join
        }
        Assert.True(joins == 1, $"kvmstor {string.Join(' ', args)}: the check was waited for {joins} times");
        return (new CliResult(rc, stdout.ToString(), stderr.ToString()), seenAtJoin, hostOpened);
    }

    public static TheoryData<string[]> CommandLines => new()
    {
        new[] { "pool-list" },
        new[] { "pool-event", "--list" },
        new[] { "pool-event --list; pool-list" },
        new[] { "--version" },
        new[] { "-h" },
        new[] { "help", "pool-list" },
        new string[0],
        new[] { "pool-list", "--no-such-option" },
        new[] { "--no-such-option" },
        new[] { "no-such-command" },
    };

    [Theory]
    [MemberData(nameof(CommandLines))]
    public void The_check_is_waited_for_before_any_output_and_any_command(string[] args)
    {
        var (result, seenAtJoin, _) = Run(() => { }, args);
        Assert.Equal("stdout '', stderr '', host not opened", seenAtJoin);
        Assert.True(result.Stdout.Length + result.Stderr.Length > 0 || result.ExitCode == -1, "the command line had an effect after the join");
    }

    [Theory]
    [MemberData(nameof(CommandLines))]
    public void A_stale_tree_rebuilds_before_any_output_and_any_command(string[] args)
    {
        Built();
        EditedInPlace();
        var check = new SourceTreeCheck(_tree, args, Rebuild);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        bool hostOpened = false;
        var services = new CliServices
        {
            OpenHost = uri =>
            {
                hostOpened = true;
                return CliRunner.NoEngine(uri);
            },
            BeforeFirstEffect = check.Finish,
        };

        var rebuilt = Assert.Throws<Rebuilt>(() => KvmStor.Cli.Cli.Run(args, stdout, stderr, services));
        Assert.Equal(_tree, rebuilt.Root);
        Assert.Equal(args, rebuilt.Args);
        Assert.Equal("", stdout.ToString() + stderr.ToString());
        Assert.False(hostOpened, "no command may run before the rebuild");
    }

    [Fact]
    public void A_current_tree_lets_the_command_run()
    {
        Built();
        var check = new SourceTreeCheck(_tree, ["pool-event", "--list"], Rebuild);
        var (result, _, _) = Run(check.Finish, "pool-event", "--list");
        Assert.Equal(new CliResult(0, "lifecycle\nrefresh\n\n", ""), result);
    }

    /// <summary>A tree of many inputs as a build leaves it, for passes shared by several threads.</summary>
    private string[] BuiltWithManyInputs(int count)
    {
        Directory.CreateDirectory(Path.Combine(_tree, "out"));
        Directory.CreateDirectory(Path.Combine(_tree, "src"));
        var files = Enumerable.Range(0, count).Select(i => $"src/F{i}.cs").ToArray();
        foreach (var f in files) File.WriteAllText(Path.Combine(_tree, f), "class F { }\n");
        TickPasses();
        File.WriteAllText(Path.Combine(_tree, SourceTreeFreshness.StampPath),
            "# suffixes .cs\nt .\nd src\n" + string.Concat(files.Select(f => $"f {f}\n")));
        TickPasses();
        return files;
    }

    private bool SharedPassSaysUnchanged(int threads)
    {
        using var pass = InputPass.Open(_tree)!;
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(pass.Run)).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        return pass.Unchanged();
    }

    [Fact]
    public void Threads_sharing_a_pass_find_what_one_thread_finds()
    {
        var files = BuiltWithManyInputs(300);
        Assert.True(SharedPassSaysUnchanged(threads: 4));
        Assert.True(SourceTreeFreshness.IsCurrent(_tree));

        File.WriteAllText(Path.Combine(_tree, "src", ".F7.cs.swp"), "an editor's swap file is not an input");
        Assert.True(SharedPassSaysUnchanged(threads: 4), "a changed directory is read again, and its inputs are the same");

        File.AppendAllText(Path.Combine(_tree, files[^1]), "// the last input, edited in place\n");
        Assert.False(SharedPassSaysUnchanged(threads: 4));
        Assert.False(SourceTreeFreshness.IsCurrent(_tree));
    }

    [Fact]
    public void Threads_sharing_a_pass_see_an_added_input()
    {
        BuiltWithManyInputs(100);
        File.WriteAllText(Path.Combine(_tree, "src", "Added.cs"), "class Added { }\n");
        File.SetLastWriteTimeUtc(Path.Combine(_tree, "src", "Added.cs"), new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.False(SharedPassSaysUnchanged(threads: 3));
    }

    [Fact]
    public void An_early_answer_of_current_is_taken_as_it_is_and_waited_for_once()
    {
        Built();
        int asked = 0;
        var check = new SourceTreeCheck(_tree, ["pool-list"], Rebuild, () => { asked++; return true; });
        EditedInPlace(); // after the early check said current: this run goes on, the next one rebuilds
        check.Finish();
        check.Finish();
        Assert.Equal(1, asked);
    }

    [Fact]
    public void An_early_answer_that_is_not_certain_is_decided_by_the_rule()
    {
        Built();
        new SourceTreeCheck(_tree, ["pool-list"], Rebuild, () => false).Finish(); // current after all: no rebuild

        EditedInPlace();
        var stale = new SourceTreeCheck(_tree, ["vol-list", "p"], Rebuild, () => false);
        Assert.Equal(["vol-list", "p"], Assert.Throws<Rebuilt>(stale.Finish).Args);
    }

    [Fact]
    public void Without_a_list_nothing_is_current()
    {
        Assert.Null(InputPass.Open(_tree));
        Assert.False(SourceTreeFreshness.IsCurrent(_tree));
        var check = new SourceTreeCheck(_tree, ["pool-list"], Rebuild);
        Assert.Equal(["pool-list"], Assert.Throws<Rebuilt>(check.Finish).Args);
    }

    [Fact]
    public void An_unexpected_failure_of_the_check_surfaces_where_it_is_waited_for()
    {
        var check = new SourceTreeCheck("no\0such tree", ["pool-list"], Rebuild);
        Assert.Throws<ArgumentException>(check.Finish);
    }

    [Fact]
    public void Without_the_wrapper_nothing_is_checked()
    {
        string? before = Environment.GetEnvironmentVariable(SourceTreeFreshness.TreeVariable);
        Assert.True(string.IsNullOrEmpty(before), "the test host runs without the wrapper");
        Assert.Null(SourceTreeFreshness.Start(["pool-list"]));
    }

    [Fact]
    public void A_moved_directory_the_early_check_names_is_unchanged_while_it_holds_the_inputs_listed()
    {
        Built();
        string swap = Path.Combine(_tree, "src", ".Host.cs.swp");
        File.WriteAllText(swap, ""); // an editor's swap file moves the directory, and is no input
        Assert.True(InputPass.DirectoriesUnchanged(_tree, ["d src"]));
        File.Delete(swap);
        Assert.True(InputPass.DirectoriesUnchanged(_tree, ["d src", "t ."]));

        File.WriteAllText(Path.Combine(_tree, "src", "Pool.cs"), "class Pool { }\n");
        Assert.False(InputPass.DirectoriesUnchanged(_tree, ["d src"]));
        Assert.True(InputPass.DirectoriesUnchanged(_tree, ["t ."]), "the top directory lists its own files only");
        File.Delete(Path.Combine(_tree, "src", "Pool.cs"));
        Directory.CreateDirectory(Path.Combine(_tree, "src", "Engine"));
        Assert.False(InputPass.DirectoriesUnchanged(_tree, ["d src"]), "a new source directory is a change");
    }

    [Fact]
    public void A_directory_line_that_is_not_in_the_list_is_not_taken_as_unchanged()
    {
        Built();
        Assert.False(InputPass.DirectoriesUnchanged(_tree, ["d out"]));
        Assert.False(InputPass.DirectoriesUnchanged(_tree, ["f src/Host.cs"]));
        File.Delete(Path.Combine(_tree, SourceTreeFreshness.StampPath));
        Assert.False(InputPass.DirectoriesUnchanged(_tree, ["d src"]));
    }
}
