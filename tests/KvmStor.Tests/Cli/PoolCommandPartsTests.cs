using KvmStor.Cli.Commands;
using KvmStor.Cli.Parsing;
using KvmStor.Engine;
using KvmStor.Model;

namespace KvmStor.Tests.Cli;

/// <summary>The pieces of pool commands that do not need an engine: filters, event lines, source specs, editor choice.</summary>
public class PoolCommandPartsTests
{
    private static ParsedCommand Parse(params string[] words) => new ArgumentParser(CommandTable.CreateDefault()).Parse(words);

    [Fact]
    public void DefaultListIsActivePoolsOfAnyKind()
    {
        var filter = PoolListCommands.Filter(Parse("pool-list"));
        Assert.True(filter.Active);
        Assert.Null(filter.Persistent);
        Assert.Null(filter.Autostart);
        Assert.Empty(filter.Types);
    }

    [Fact]
    public void FlagsNarrowAndPairsMeanEither()
    {
        var filter = PoolListCommands.Filter(Parse("pool-list", "--inactive", "--transient", "--autostart", "--no-autostart", "--type", "dir,iscsi-direct"));
        Assert.False(filter.Active);
        Assert.False(filter.Persistent);
        Assert.Null(filter.Autostart);
        Assert.Equal(new HashSet<PoolType> { PoolType.Dir, PoolType.IscsiDirect }, filter.Types);

        filter = PoolListCommands.Filter(Parse("pool-list", "--all", "--persistent", "--transient", "--no-autostart"));
        Assert.Null(filter.Active);
        Assert.Null(filter.Persistent);
        Assert.False(filter.Autostart);
    }

    [Fact]
    public void UnknownTypeInTheList()
    {
        var error = Assert.Throws<CommandError>(() => PoolListCommands.Filter(Parse("pool-list", "--type", "dir,foo")));
        Assert.Equal("Invalid pool type 'foo'", error.VirshLine);
    }

    [Theory]
    [InlineData("--details", "--uuid", "Options --details and --uuid are mutually exclusive")]
    [InlineData("--details", "--name", "Options --details and --name are mutually exclusive")]
    [InlineData("--all", "--inactive", "Options --all and --inactive are mutually exclusive")]
    public void ListExclusions(string first, string second, string message)
    {
        var result = CliRunner.Run("pool-list", first, second);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: " + message + "\n", result.Stderr);
    }

    [Fact]
    public void EventLines()
    {
        var time = new DateTimeOffset(2026, 11, 25, 23, 4, 5, 678, TimeSpan.FromHours(2));
        var started = new PoolEvent("p1", Guid.NewGuid(), PoolLifecycleEvent.Started, time);
        var refresh = new PoolEvent("p1", Guid.NewGuid(), null, time);
        Assert.Equal("event 'lifecycle' for storage pool p1: Started\n", PoolEventCommand.Format(started, "lifecycle", false));
        Assert.Equal("event 'refresh' for storage pool p1\n", PoolEventCommand.Format(refresh, "refresh", false));
        Assert.Null(PoolEventCommand.Format(refresh, "lifecycle", false));
        Assert.Null(PoolEventCommand.Format(started, "refresh", false));
        Assert.Equal("2026-11-25 21:04:05.678+0000: event 'lifecycle' for storage pool p1: Started\n",
            PoolEventCommand.Format(started, "lifecycle", true));
    }

    [Fact]
    public void SourceSpecOfFindSourcesAs()
    {
        Assert.Equal("<source>\n  <host name='127.0.0.1'/>\n</source>\n", KvmStor.Xml.PoolArgumentsXml.BuildSourceSpec(new KvmStor.Model.PoolSourceQuery("127.0.0.1", null, null)));
        Assert.Equal("<source>\n  <host name='h' port='3260'/>\n  <initiator>\n    <iqn name='iqn.2024-01.x:y'/>\n  </initiator>\n</source>\n",
            KvmStor.Xml.PoolArgumentsXml.BuildSourceSpec(new KvmStor.Model.PoolSourceQuery("h", "3260", "iqn.2024-01.x:y")));
    }

    [Fact]
    public void StartFlagsImplyBuildForOverwriteChoices()
    {
        Assert.Equal(KvmStor.Model.PoolBuildFlags.None, PoolOptions.StartFlags(Parse("pool-start", "p")));
        Assert.Equal(KvmStor.Model.PoolBuildFlags.Build, PoolOptions.StartFlags(Parse("pool-start", "p", "--build")));
        Assert.Equal(KvmStor.Model.PoolBuildFlags.Build | KvmStor.Model.PoolBuildFlags.Overwrite,
            PoolOptions.StartFlags(Parse("pool-create", "f.xml", "--overwrite")));
    }

    [Fact]
    public void EditorChoiceVisualThenEditorThenVi()
    {
        Assert.Equal("vi", EditorLauncher.Choose(new Dictionary<string, string>()));
        Assert.Equal("nano", EditorLauncher.Choose(new Dictionary<string, string> { ["EDITOR"] = "nano" }));
        Assert.Equal("emacs", EditorLauncher.Choose(new Dictionary<string, string> { ["EDITOR"] = "nano", ["VISUAL"] = "emacs" }));
        Assert.True(EditorLauncher.IsPlain("/usr/bin/vim"));
        Assert.False(EditorLauncher.IsPlain("code --wait"));
    }
}
