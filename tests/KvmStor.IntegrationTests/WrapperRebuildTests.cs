using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KvmStor.IntegrationTests;

/// <summary>
/// The ./kvmstor wrapper in a copy of a source tree whose scripts/build.sh is a stand-in: it lists the inputs with the
/// real scripts/source-stamp.sh, installs the real out/kvmstor and counts its runs. Nothing changed: no build. Any
/// change to an input, even one that leaves an older mtime (git checkout, cp -p, touch -d): one build, then none.
/// </summary>
public sealed class WrapperRebuildTests : IDisposable
{
    private readonly KvmstorProcess _kvmstor = new();
    private readonly string _tree;

    public WrapperRebuildTests()
    {
        string repository = Path.GetDirectoryName(Path.GetDirectoryName(KvmstorProcess.Binary))!;
        _tree = Directory.CreateDirectory(Path.Combine(_kvmstor.Root, "tree")).FullName;
        Directory.CreateDirectory(Path.Combine(_tree, "scripts"));
        File.Copy(Path.Combine(repository, "kvmstor"), Path.Combine(_tree, "kvmstor"));
        File.Copy(Path.Combine(repository, "scripts", "source-stamp.sh"), Path.Combine(_tree, "scripts", "source-stamp.sh"));
        Write("scripts/build.sh", $$"""
            #!/usr/bin/env bash
            set -euo pipefail
            root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
            mkdir -p "$root/out"
            echo build >>"$root/builds.log"
            "$root/scripts/source-stamp.sh" "$root/out/kvmstor.sources.new"
            install -m 0755 '{{KvmstorProcess.Binary}}' "$root/out/kvmstor"
            mv "$root/out/kvmstor.sources.new" "$root/out/kvmstor.sources"
            """);
        File.SetUnixFileMode(Path.Combine(_tree, "scripts", "build.sh"), (UnixFileMode)0b111_101_101);
        Write("Directory.Build.props", "<Project />\n");
        Write("src/KvmStor/KvmStor.csproj", "<Project Sdk=\"Microsoft.NET.Sdk\" />\n");
        Write("src/KvmStor/Engine/Host.cs", "class Host { }\n");
        Write("src/KvmStor/README.md", "notes\n");
    }

    public void Dispose() => _kvmstor.Dispose();

    private string In(string relative) => Path.Combine(_tree, relative);

    private void Write(string relative, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(In(relative))!);
        File.WriteAllText(In(relative), text);
    }

    private int Builds => File.Exists(In("builds.log")) ? File.ReadAllLines(In("builds.log")).Length : 0;

    /// <summary>Runs the wrapper (or a link to it) as a user would, with the test's session state.</summary>
    private (int ExitCode, string Stdout, string Stderr) Run(string wrapper, params string[] args) => Run(wrapper, args, null);

    private (int ExitCode, string Stdout, string Stderr) Run(string wrapper, string[] args, string? pathFirst)
    {
        var start = new ProcessStartInfo(wrapper) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in _kvmstor.Environment) start.Environment[k] = v;
        if (pathFirst is not null) start.Environment["PATH"] = pathFirst + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), $"{wrapper} did not return");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private void AssertRunBuilds(int expectedBuilds, string because)
    {
        var (code, stdout, stderr) = Run(In("kvmstor"), "pool-list", "--all");
        Assert.True(code == 0, $"./kvmstor pool-list --all: {stderr}");
        Assert.StartsWith(" Name   State   Autostart\n-----", stdout);
        Assert.True(expectedBuilds == Builds, $"{because}: {Builds} builds, expected {expectedBuilds}");
    }

    private static readonly DateTime LongAgo = new(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Builds_on_first_use_then_only_after_a_change_to_an_input()
    {
        AssertRunBuilds(1, "first use");
        for (int i = 0; i < 3; i++) AssertRunBuilds(1, "nothing changed");

        File.SetLastWriteTimeUtc(In("src/KvmStor/Engine/Host.cs"), LongAgo); // touch -d: an older mtime
        AssertRunBuilds(2, "an input's mtime set back");
        AssertRunBuilds(2, "nothing changed since that build");

        // A git checkout of an older version: other bytes, same size, and an mtime from before the last build.
        var before = File.GetLastWriteTimeUtc(In("src/KvmStor/Engine/Host.cs"));
        File.WriteAllText(In("src/KvmStor/Engine/Host.cs"), "class Hoss { }\n");
        File.SetLastWriteTimeUtc(In("src/KvmStor/Engine/Host.cs"), before);
        AssertRunBuilds(3, "same size, same mtime, other content");

        Write("src/KvmStor/Engine/Added.cs", "class Added { }\n");
        File.SetLastWriteTimeUtc(In("src/KvmStor/Engine/Added.cs"), LongAgo);
        AssertRunBuilds(4, "a new source file (with an old mtime)");

        Write("src/KvmStor/Engine/Deep/Nested.cs", "class Nested { }\n");
        AssertRunBuilds(5, "a new directory with a source file");

        File.Move(In("src/KvmStor/Engine/Added.cs"), In("src/KvmStor/Engine/Renamed.cs"));
        AssertRunBuilds(6, "a renamed source file");

        File.Delete(In("src/KvmStor/Engine/Renamed.cs"));
        AssertRunBuilds(7, "a deleted source file");

        File.WriteAllText(In("Directory.Build.props"), "<Project><!-- changed --></Project>\n");
        AssertRunBuilds(8, "the top Directory.Build.props");

        Write("global.json", "{}\n");
        AssertRunBuilds(9, "a new build file at the top");

        // What is not an input changes nothing: an editor's swap file, notes, bin/ and obj/ output.
        Write("src/KvmStor/Engine/.Host.cs.swp", "swap");
        Write("src/KvmStor/notes.txt", "notes");
        File.AppendAllText(In("src/KvmStor/README.md"), "more notes\n");
        Write("src/KvmStor/obj/project.assets.json", "{}");
        Write("src/KvmStor/bin/Release/KvmStor.dll", "");
        Write("tests/Some.Tests/Test.cs", "class Test { }\n");
        AssertRunBuilds(9, "only files that are not build inputs changed");
    }

    /// <summary>
    /// In the NativeAOT binary an unchanged tree is settled by the check its C constructor starts before the runtime:
    /// the list is read once, by that check (relative to the tree, links refused), and the C# check never reads it.
    /// (When the machine starves that check's thread in the middle of reading the list, the C# check reads it again, by
    /// design: so of a few runs, one settled early is asked for.) After an edit that check is not certain, and the C#
    /// check reads the list again and rebuilds.
    /// </summary>
    [Fact]
    public void An_unchanged_tree_is_settled_by_the_check_started_before_the_runtime()
    {
        AssertRunBuilds(1, "first use");
        string trace = Path.Combine(_kvmstor.Root, "openat.trace");
        var seen = new List<string>();
        for (int run = 0; run < 5; run++)
        {
            var (code, _, stderr) = Run("/usr/bin/strace", "-f", "-qq", "-e", "trace=openat", "-o", trace, In("kvmstor"), "pool-list");
            Assert.True(code == 0, stderr);
            string[] listOpens = File.ReadAllLines(trace).Where(l => l.Contains("openat(") && l.Contains("kvmstor.sources")).ToArray();
            seen.Add(string.Join("\n", listOpens));
            if (listOpens.Length == 1 && Regex.IsMatch(listOpens[0], @"openat\(\d+, ""out/kvmstor.sources"", O_RDONLY\|O_NOFOLLOW\|O_CLOEXEC"))
                break;
            Assert.True(run < 4, "no run was settled by the early check alone; the list's opens were:\n" + string.Join("\n--\n", seen));
        }
        Assert.Equal(1, Builds);

        File.AppendAllText(In("src/KvmStor/Engine/Host.cs"), "// edited in place\n");
        AssertRunBuilds(2, "an edit the early check is not certain of");
    }

    [Fact]
    public void A_swap_file_that_came_and_went_costs_a_read_of_its_directory_not_a_second_check()
    {
        AssertRunBuilds(1, "first use");
        string swap = In("src/KvmStor/Engine/.Host.cs.swp");
        File.WriteAllText(swap, "");
        File.Delete(swap); // the directory's ctime moved; its inputs did not
        string trace = Path.Combine(_kvmstor.Root, "stat.trace");
        var seen = new List<int>();
        for (int run = 0; run < 5; run++)
        {
            var (code, _, stderr) = Run("/usr/bin/strace", "-f", "-qq", "-e", "trace=statx,newfstatat,openat", "-o", trace,
                In("kvmstor"), "pool-list");
            Assert.True(code == 0, stderr);
            string[] lines = File.ReadAllLines(trace);
            // An input is stated once, by the early check (a second time means the C# check ran all over again), and
            // the moved directory is read by the C# rule.
            int stats = lines.Count(l => l.Contains("\"Directory.Build.props\"") && !l.Contains("openat("));
            seen.Add(stats);
            if (stats == 1 && lines.Any(l => l.Contains("openat(") && l.Contains("src/KvmStor/Engine\"") && l.Contains("O_DIRECTORY")))
                break;
            Assert.True(run < 4, $"no run left the moved directory to the C# rule alone: an input stated {string.Join(", ", seen)} times");
        }
        Assert.Equal(1, Builds);

        Write("src/KvmStor/Engine/Pool.cs", "class Pool { }\n");
        AssertRunBuilds(2, "an input added to a directory");
    }

    [Fact]
    public void A_rebuild_runs_the_command_it_interrupted_with_its_arguments_and_exit_status()
    {
        AssertRunBuilds(1, "first use");
        File.AppendAllText(In("src/KvmStor/Engine/Host.cs"), "// edited in place\n");
        var (code, stdout, stderr) = Run(In("kvmstor"), "pool-info", "no such pool");
        Assert.Equal(2, Builds);
        Assert.Equal(1, code);
        Assert.Equal("\n", stdout);
        Assert.Equal("error: failed to get pool 'no such pool'\nerror: Storage pool not found: no storage pool with matching name 'no such pool'\n", stderr);
    }

    [Fact]
    public void Runs_through_a_link_to_the_wrapper_from_anywhere()
    {
        string link = Path.Combine(_kvmstor.Root, "bin-dir", "kvmstor");
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, In("kvmstor"));
        var (code, stdout, stderr) = Run(link, "pool-list");
        Assert.True(code == 0, stderr);
        Assert.Equal(1, Builds);
        Assert.True(File.Exists(In("out/kvmstor")), "the build went into the tree the link points at");
        Assert.Equal(0, Run(link, "pool-list").ExitCode);
        Assert.Equal(1, Builds);
    }

    [Fact]
    public void The_programs_kvmstor_runs_are_not_told_the_source_tree()
    {
        AssertRunBuilds(1, "first use");
        // A qemu-img of the test's own, first on PATH, writes down the environment kvmstor gives it.
        string bin = Directory.CreateDirectory(Path.Combine(_kvmstor.Root, "bin")).FullName;
        string seen = Path.Combine(_kvmstor.Root, "qemu-img.environment");
        File.WriteAllText(Path.Combine(bin, "qemu-img"), $"#!/bin/sh\nenv >'{seen}'\nexit 1\n");
        File.SetUnixFileMode(Path.Combine(bin, "qemu-img"), (UnixFileMode)0b111_101_101);
        string pool = Directory.CreateDirectory(Path.Combine(_kvmstor.Root, "pool")).FullName;
        var created = Run(In("kvmstor"), "pool-create-as", "p", "dir", "--target", pool);
        Assert.True(created.ExitCode == 0, created.Stderr);

        var (code, _, stderr) = Run(In("kvmstor"), ["vol-create-as", "p", "v", "1M", "--format", "vmdk"], bin);
        Assert.Equal(1, code);
        Assert.Contains("qemu-img create -f vmdk", stderr);
        string[] environment = File.ReadAllLines(seen);
        Assert.Contains("LC_ALL=C", environment); // the environment kvmstor builds for the programs it runs
        Assert.DoesNotContain(environment, v => v.StartsWith("KVMSTOR_SOURCE_TREE=", StringComparison.Ordinal));
        Assert.Equal(1, Builds);
    }
}
