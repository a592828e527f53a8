using KvmStor.Cli;
using KvmStor.Cli.Commands;
using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;
using KvmStor.Engine;
using KvmStor.Model;

namespace KvmStor.Tests.Cli;

/// <summary>pool-edit's flow with a scripted "editor" and definition function standing in for the user and the engine.</summary>
public sealed class PoolEditSessionTests : IDisposable
{
    private const string Xml = "<pool type='dir'>\n  <name>p1</name>\n</pool>\n";
    private readonly string _tmp = Directory.CreateTempSubdirectory("kvmstor-edit-").FullName;
    private readonly StringWriter _out = new() { NewLine = "\n" };
    private readonly StringWriter _err = new() { NewLine = "\n" };
    private readonly List<string> _defined = [];
    private readonly List<string> _editedFiles = [];

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    private static PoolInfo Info(string name) => new() { Name = name, Uuid = Guid.Empty, Type = PoolType.Dir };

    private bool Run(Func<int, string?> edits, Func<string, PoolInfo>? define = null, bool terminal = false, string keys = "",
        Func<string>? readXml = null)
    {
        int editCount = 0;
        var keyQueue = new Queue<char>(keys);
        var services = new CliServices
        {
            Environment = new Dictionary<string, string> { ["TMPDIR"] = _tmp },
            RunEditor = (file, _) =>
            {
                _editedFiles.Add(file);
                Assert.Equal(_tmp, Path.GetDirectoryName(file));
                if (edits(editCount++) is { } text) File.WriteAllText(file, text);
            },
            StdinIsTerminal = terminal,
            ReadKey = () => keyQueue.Dequeue(),
        };
        var session = new PoolEditSession(readXml ?? (() => Xml), define ?? (x => { _defined.Add(x); return Info("p1"); }),
            services, new OutputWriter(_out, _err, quiet: false));
        return session.Run("p1");
    }

    [Fact]
    public void UnchangedFileDefinesNothing()
    {
        Assert.True(Run(_ => null));
        Assert.Equal("Pool p1 XML configuration not changed.\n", _out.ToString());
        Assert.Empty(_defined);
        Assert.False(File.Exists(_editedFiles.Single()), "the temporary file must be removed");
    }

    [Fact]
    public void ChangedFileIsDefined()
    {
        string changed = Xml.Replace("p1", "p1") + "<!-- touched -->\n";
        Assert.True(Run(_ => changed));
        Assert.Equal([changed], _defined);
        Assert.Equal("Pool p1 XML configuration edited.\n", _out.ToString());
    }

    [Fact]
    public void DefineFailureWithoutTerminalFailsWithVirshLines()
    {
        var error = Assert.Throws<CommandError>(() =>
            Run(_ => "<pool>", _ => throw StorageException.Xml("missing storage pool type attribute")));
        Assert.Equal("Failed.", error.VirshLine);
        Assert.Equal("XML error: missing storage pool type attribute", error.Cause!.Display);
        Assert.Empty(_out.ToString());
    }

    [Fact]
    public void OnATerminalTheUserMayEditAgain()
    {
        int attempts = 0;
        bool ok = Run(n => n == 0 ? "<bad/>" : "<pool type='dir'><name>p1</name></pool>",
            x => ++attempts == 1 ? throw StorageException.Xml("unknown root element for storage pool") : Info("p1"),
            terminal: true, keys: "?Y");
        Assert.True(ok);
        Assert.Equal(2, _editedFiles.Count);
        Assert.Equal("error: XML error: unknown root element for storage pool\n", _err.ToString());
        string shown = _out.ToString();
        Assert.StartsWith("\rFailed. Try again? [y,n,f,?]: \n", shown);
        Assert.Contains("\rFailed. Try again? [y,n,f,?]: \r\n", shown);
        Assert.EndsWith("Pool p1 XML configuration edited.\n", shown);
    }

    [Fact]
    public void ForceRetriesTheSameTextAndNoGivesUp()
    {
        int attempts = 0;
        bool ok = Run(_ => "<x/>", x => { attempts++; throw StorageException.Xml("nope"); }, terminal: true, keys: "fn");
        Assert.False(ok);
        Assert.Equal(2, attempts);
        Assert.Single(_editedFiles);
    }

    [Fact]
    public void ConcurrentRedefinitionIsNotOverwrittenSilently()
    {
        int reads = 0;
        var error = Assert.Throws<CommandError>(() =>
            Run(_ => "<mine/>", readXml: () => reads++ == 0 ? Xml : Xml + "<!-- theirs -->\n"));
        Assert.Equal("The XML configuration was changed by another user.", error.VirshLine);
        Assert.Null(error.Cause);
        Assert.Empty(_defined);
    }
}
