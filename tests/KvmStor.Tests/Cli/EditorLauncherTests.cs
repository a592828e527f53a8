using KvmStor.Cli.Commands;

namespace KvmStor.Tests.Cli;

/// <summary>Runs real programs as "editors" on a temporary file.</summary>
public sealed class EditorLauncherTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-editor-").FullName;
    private readonly string _file;

    public EditorLauncherTests()
    {
        _file = Path.Combine(_dir, "pool.xml");
        File.WriteAllText(_file, "<pool type='dir'/>\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, string> Env(string editor) => new() { ["EDITOR"] = editor };

    [Fact]
    public void EditorWithArgumentsRunsThroughTheShell()
    {
        EditorLauncher.Run(_file, Env("sed -i s/dir/fs/"));
        Assert.Equal("<pool type='fs'/>\n", File.ReadAllText(_file));
    }

    [Fact]
    public void PlainEditorRunsDirectly()
    {
        EditorLauncher.Run(_file, Env("true"));
        Assert.Equal("<pool type='dir'/>\n", File.ReadAllText(_file));
    }

    [Fact]
    public void FailingEditorIsAnError()
    {
        var error = Assert.Throws<StorageException>(() => EditorLauncher.Run(_file, Env("false")));
        Assert.Equal($"internal error: Child process (false {_file}) unexpected exit status 1", error.Display);
    }

    [Fact]
    public void MissingEditorIsAnError()
    {
        var error = Assert.Throws<StorageException>(() => EditorLauncher.Run(_file, Env("kvmstor-no-such-editor")));
        Assert.Equal("Cannot find 'kvmstor-no-such-editor' in path: No such file or directory", error.Display);
    }
}
