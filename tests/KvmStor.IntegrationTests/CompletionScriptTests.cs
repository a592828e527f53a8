using System.Diagnostics;

namespace KvmStor.IntegrationTests;

/// <summary>
/// contrib/kvmstor.bash-completion with the real binary: its function run in a real bash with COMP_WORDS, COMP_CWORD,
/// COMP_LINE and COMP_POINT as bash sets them, in zsh through bashcompinit, and once interactively in bash under
/// tmux with Tab pressed. Pools and volumes are the test's own, in a temp session state; a second, system
/// connection lives under KVMSTOR_SYSTEM_ROOT to show that -c URI on the line is honoured.
/// </summary>
public sealed class CompletionScriptTests : IDisposable
{
    private readonly KvmstorProcess _k = new();
    private readonly string _script = Path.Combine(RepositoryRoot(), "contrib", "kvmstor.bash-completion");
    private string Bin => Path.Combine(_k.Root, "bin");
    private string SystemRoot => Path.Combine(_k.Root, "system");

    public CompletionScriptTests()
    {
        // "kvmstor" on PATH is the built binary, as the package installs it.
        Directory.CreateDirectory(Bin);
        File.CreateSymbolicLink(Path.Combine(Bin, "kvmstor"), KvmstorProcess.Binary);
        string pools = Path.Combine(_k.Root, "pools");
        Ok("pool-define-as", "spool1", "dir", "--target", $"{pools}/spool1");
        Ok("pool-build", "spool1");
        Ok("pool-start", "spool1");
        Ok("pool-define-as", "spool2", "dir", "--target", $"{pools}/spool2");
        Ok("vol-create-as", "spool1", "disk one.qcow2", "1M", "--format", "qcow2");
        Ok("vol-create-as", "spool1", "lun:0:0:1.img", "1M");
        var system = _k.RunWith(new() { ["KVMSTOR_SYSTEM_ROOT"] = SystemRoot },
            "-c", "kvmstor:///system", "pool-define-as", "syspool", "dir", "--target", $"{pools}/syspool");
        Assert.Equal(0, system.ExitCode);
    }

    public void Dispose() => _k.Dispose();

    private void Ok(params string[] args)
    {
        var (code, _, stderr) = _k.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)}: {stderr}");
    }

    /// <summary>The environment of the shells: the test's state, its system root and the binary on PATH.</summary>
    private Dictionary<string, string> ShellEnvironment() => new(_k.Environment)
    {
        ["KVMSTOR_SYSTEM_ROOT"] = SystemRoot,
        ["PATH"] = $"{Bin}:/usr/sbin:/usr/bin:/sbin:/bin",
        ["HOME"] = _k.Root,
    };

    /// <summary>
    /// Runs the completion function for a line, given as bash splits it into COMP_WORDS (at blanks and at
    /// COMP_WORDBREAKS characters such as ':' and '='); the cursor is at the end of the line. Returns COMPREPLY.
    /// </summary>
    private List<string> Bash(string line, params string[] words)
    {
        const string run = """
            source "$1"; shift
            COMP_LINE=$1; COMP_POINT=${#1}; shift
            COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
            _kvmstor_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        return Shell("bash", ["--norc", "--noprofile", "-c", run, "bash", _script, line, .. words]);
    }

    private List<string> Shell(string shell, string[] args)
    {
        var psi = new ProcessStartInfo(shell) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var (k, v) in ShellEnvironment()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(30_000), $"{shell} did not finish");
        Assert.Equal((0, ""), (p.ExitCode, stderr.Result));
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public void CommandsOptionsAndPools()
    {
        Assert.Equal(["pool-define-as", "pool-define"], Bash("kvmstor pool-def", "kvmstor", "pool-def"));
        Assert.Equal(["spool1", "spool2"], Bash("kvmstor pool-info sp", "kvmstor", "pool-info", "sp"));
        Assert.Equal(["spool2"], Bash("kvmstor pool-start s", "kvmstor", "pool-start", "s"));
        Assert.Equal(["--details"], Bash("kvmstor vol-list --pool spool1 --d", "kvmstor", "vol-list", "--pool", "spool1", "--d"));
        // The program as typed (a path works as well as a name on PATH).
        Assert.Equal(["spool1"], Bash($"{KvmstorProcess.Binary} pool-destroy s", KvmstorProcess.Binary, "pool-destroy", "s"));
    }

    [Fact]
    public void VolumeNamesAreQuotedForTheLine()
    {
        Assert.Equal(["disk\\ one.qcow2"], Bash("kvmstor vol-info --pool spool1 d", "kvmstor", "vol-info", "--pool", "spool1", "d"));
        // Already inside quotes: the rest of the name, and the closing quote.
        Assert.Equal(["'disk one.qcow2'"], Bash("kvmstor vol-info --pool spool1 'd", "kvmstor", "vol-info", "--pool", "spool1", "'d"));
        Assert.Equal(["disk\\ one.qcow2"], Bash("kvmstor vol-info --pool spool1 disk\\ o", "kvmstor", "vol-info", "--pool", "spool1", "disk\\ o"));
        // A pool named by a quoted word before the cursor.
        Assert.Equal(["disk\\ one.qcow2"], Bash("kvmstor vol-info --pool 'spool1' d", "kvmstor", "vol-info", "--pool", "'spool1'", "d"));
    }

    [Fact]
    public void WordsSplitAtColonsAndEqualsSigns()
    {
        // bash splits "lun:0:0" into lun : 0 : 0 and replaces only what follows the last ':'.
        Assert.Equal(["0:1.img"], Bash("kvmstor vol-info --pool spool1 lun:0:0", "kvmstor", "vol-info", "--pool", "spool1", "lun", ":", "0", ":", "0"));
        Assert.Equal(["spool1"], Bash("kvmstor vol-info --pool=sp", "kvmstor", "vol-info", "--pool", "=", "sp"));
        Assert.Equal(["spool1"], Bash("kvmstor vol-info --pool=", "kvmstor", "vol-info", "--pool", "="));
        Assert.Equal(["///system", "///session"], Bash("kvmstor -c kvmstor:", "kvmstor", "-c", "kvmstor", ":"));
    }

    [Fact]
    public void TheConnectionOnTheLineIsTheOneAsked()
    {
        Assert.Equal(["spool1", "spool2"], Bash("kvmstor pool-info s", "kvmstor", "pool-info", "s"));
        Assert.Equal(["syspool"], Bash("kvmstor -c kvmstor:///system pool-info s", "kvmstor", "-c", "kvmstor", ":", "///system", "pool-info", "s"));
        Assert.Equal(["syspool"], Bash("kvmstor --connect=kvmstor:///system pool-info s", "kvmstor", "--connect", "=", "kvmstor", ":", "///system", "pool-info", "s"));
        Assert.Equal(["spool1", "spool2"], Bash("kvmstor -q -c qemu:///session pool-info s", "kvmstor", "-q", "-c", "qemu", ":", "///session", "pool-info", "s"));
    }

    [Fact]
    public void FilesAndDirectories()
    {
        string dir = Path.Combine(_k.Root, "xml");
        Directory.CreateDirectory(Path.Combine(dir, "nested"));
        File.WriteAllText(Path.Combine(dir, "pool.xml"), "");
        Assert.Equal([$"{dir}/nested/", $"{dir}/pool.xml"], Bash($"kvmstor pool-define {dir}/", "kvmstor", "pool-define", $"{dir}/"));
        Assert.Equal(["~/xml/pool.xml"], Bash("kvmstor pool-define ~/xml/p", "kvmstor", "pool-define", "~/xml/p"));
    }

    [Fact]
    public void ZshThroughBashcompinit()
    {
        const string run = """
            autoload -U compinit && compinit -u -D
            autoload -U +X bashcompinit && bashcompinit
            source "$1"
            COMP_LINE="kvmstor vol-info --pool spool1 d"; COMP_POINT=${#COMP_LINE}
            COMP_WORDS=(kvmstor vol-info --pool spool1 d); COMP_CWORD=4
            _kvmstor_complete
            print -rl -- "${COMPREPLY[@]}"
            COMP_LINE="kvmstor -c kvmstor:///system pool-info "; COMP_POINT=${#COMP_LINE}
            COMP_WORDS=(kvmstor -c kvmstor:///system pool-info ""); COMP_CWORD=4
            _kvmstor_complete
            print -rl -- "${COMPREPLY[@]}"
            """;
        Assert.Equal(["disk\\ one.qcow2", "--pool", "--bytes", "--json", "syspool"], Shell("zsh", ["-f", "-c", run, "zsh", _script]));
    }

    /// <summary>An interactive bash in tmux: the keys a person presses, Tab included, and what the screen then shows.</summary>
    [Fact]
    public void TabInAnInteractiveBashUnderTmux()
    {
        using var tmux = new TmuxSession(Path.Combine(_k.Root, "tmux.sock"), ShellEnvironment());
        tmux.WaitFor("ks> ");
        // Outputs are awaited as "\n" + text: the echo of the typed command holds the text too, but not at a line start.
        tmux.Type($"source {_script}; cd {_k.Root}; echo sourced-ok", "Enter");
        tmux.WaitFor("\nsourced-ok");

        // One candidate: Tab completes it and adds a blank; Enter runs the command so completed.
        tmux.Type("kvmstor vol-list --pool spo", "Tab");
        tmux.WaitFor("kvmstor vol-list --pool spool1 ");
        tmux.Type("--det", "Tab");
        tmux.WaitFor("kvmstor vol-list --pool spool1 --details ");
        tmux.Type("", "Enter");
        tmux.WaitFor("\n disk one.qcow2");

        // A name with a blank is inserted quoted and works as typed.
        tmux.Type("clear", "Enter");
        tmux.Type("kvmstor vol-info --pool spool1 di", "Tab");
        tmux.WaitFor("kvmstor vol-info --pool spool1 disk\\ one.qcow2 ");
        tmux.Type("", "Enter");
        tmux.WaitFor("\nName:           disk one.qcow2");

        // Two candidates: Tab completes their common part; readline lists them at the next Tab that changes nothing
        // (the second after a plain Tab, the third after one that inserted text).
        tmux.Type("clear", "Enter");
        tmux.Type("kvmstor pool-info sp", "Tab");
        tmux.WaitFor("kvmstor pool-info spool");
        tmux.Type("", "Tab");
        tmux.Type("", "Tab");
        string screen = tmux.WaitFor("\nspool1  spool2");
        Assert.Contains("spool1", screen);
        Assert.DoesNotContain("syspool", screen);

        // -c URI on the line: the system connection's pools.
        tmux.Type("", "C-c");
        tmux.Type("clear", "Enter");
        tmux.Type("kvmstor -c kvmstor:///system pool-info ", "Tab");
        tmux.WaitFor("kvmstor -c kvmstor:///system pool-info ");
        tmux.Type("sy", "Tab");
        tmux.WaitFor("kvmstor -c kvmstor:///system pool-info syspool ");
    }

    /// <summary>A tmux server of the test's own (its socket in the test directory), ended with the test.</summary>
    private sealed class TmuxSession : IDisposable
    {
        private readonly string _socket;
        private readonly Dictionary<string, string> _environment;

        public TmuxSession(string socket, Dictionary<string, string> environment)
        {
            _socket = socket;
            _environment = environment;
            // tmux does not hand PS1 to the shell from its own environment: env does. No history file: the shell would
            // write it into the test's directory as it ends, after the directory is removed.
            Tmux("new-session", "-d", "-x", "160", "-y", "40", "env PS1='ks> ' HISTFILE= bash --norc --noprofile -i");
        }

        /// <summary>Types text literally, then presses a key (Enter, Tab, C-c…).</summary>
        public void Type(string text, string key)
        {
            if (text.Length > 0) Tmux("send-keys", "-t", "0", "-l", "--", text);
            Tmux("send-keys", "-t", "0", key);
        }

        /// <summary>Waits until the screen shows <paramref name="expected"/>; returns the screen.</summary>
        public string WaitFor(string expected)
        {
            var clock = Stopwatch.StartNew();
            string screen = "";
            while (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                screen = Tmux("capture-pane", "-p", "-N", "-t", "0");
                if (screen.Contains(expected)) return screen;
                Thread.Sleep(100);
            }
            Assert.Fail($"the screen never showed '{expected}':\n{screen}");
            return screen;
        }

        private string Tmux(params string[] args)
        {
            var psi = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add("-S");
            psi.ArgumentList.Add(_socket);
            psi.ArgumentList.Add("-f");
            psi.ArgumentList.Add("/dev/null");
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment.Clear();
            foreach (var (k, v) in _environment) psi.Environment[k] = v;
            psi.Environment["TERM"] = "xterm";
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"tmux {string.Join(' ', args)}: {stderr.Result}");
            return stdout.Result;
        }

        public void Dispose()
        {
            // The server of this socket only: started by this test, ended by it.
            try { Tmux("kill-server"); } catch (InvalidOperationException) { }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KvmStor.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (KvmStor.slnx) not found");
    }
}
