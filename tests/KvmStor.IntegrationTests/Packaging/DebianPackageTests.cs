using System.Diagnostics;

namespace KvmStor.IntegrationTests.Packaging;

/// <summary>
/// The Debian package for real: scripts/package.sh builds it from out/kvmstor, lintian checks it, apt-get installs it
/// into a clean Debian 12 root (debian-root.sh: debootstrap once into the suite's cache, about three minutes the first
/// time, then a fresh copy of that root for every run), the README's tour runs there, and the package is removed and
/// purged, each step checked for what it leaves behind. apt fetches the package's dependencies and recommendations
/// from deb.debian.org into the suite's cache, so later runs download nothing.
/// </summary>
public sealed class DebianPackageTests : IDisposable
{
    private static readonly string Repository = RepositoryRoot();
    private static readonly string Script = Path.Combine(Repository, "tests", "KvmStor.IntegrationTests", "Packaging", "debian-root.sh");
    private static readonly string Version = File.ReadAllText(Path.Combine(Repository, "VERSION")).Trim();

    /// <summary>lintian's warnings kept on purpose, as README's packaging section lists them (errors: none).</summary>
    private static readonly string[] KeptWarnings = ["W: kvmstor: non-standard-dir-perm 0700 != 0755 [etc/kvmstor/secrets/]"];

    private readonly string _work = Directory.CreateTempSubdirectory("kvmstor-deb-").FullName;
    private string Debian => Path.Combine(_work, "debian");

    /// <summary>A path inside the Debian root, seen from the host.</summary>
    private string Inside(string path) => Path.Combine(Debian, "root", path.TrimStart('/'));

    public void Dispose()
    {
        // A process left running in the root (none should be) would keep its private mounts alive: end it by pid.
        foreach (int pid in ProcessesInRoot())
            try { Process.GetProcessById(pid).Kill(entireProcessTree: true); } catch (ArgumentException) { } catch (InvalidOperationException) { }
        Exec(Script, ["remove", Debian], TimeSpan.FromMinutes(2));
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void BuiltInstalledUsedRemovedAndPurgedInACleanDebianRoot()
    {
        string deb = Build();
        Lintian(deb);

        Ok(Exec(Script, ["new", Debian], TimeSpan.FromMinutes(20)), "debian-root.sh new");
        string debName = Path.GetFileName(deb);
        File.Copy(deb, Inside("/tmp/" + debName));
        InRoot("apt-get update -qq");
        InRoot($"apt-get install -y -q /tmp/{debName}", TimeSpan.FromMinutes(20));
        File.Delete(Inside("/tmp/" + debName));
        // The suite's download cache keeps what the mirror still has, not every version it ever had.
        InRoot("apt-get autoclean -qq");

        // What the package put in place, and what apt pulled with it.
        Assert.Equal(Version + "\n", InRoot("kvmstor --version"));
        foreach (var file in PackageFiles) Assert.True(File.Exists(Inside(file)), $"{file} is not installed");
        Assert.Equal("/lib/systemd/system/kvmstor-autostart.service",
            new FileInfo(Inside("/etc/systemd/system/multi-user.target.wants/kvmstor-autostart.service")).LinkTarget);
        // `kvmstor serve`'s socket activation is opt-in: installed, not enabled.
        Assert.False(Path.Exists(Inside("/etc/systemd/system/sockets.target.wants/kvmstor.socket")));
        Assert.False(Path.Exists(Inside("/etc/systemd/system/sockets.target.wants/kvmstor-ro.socket")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Inside("/etc/kvmstor/secrets")));
        Assert.True(File.Exists(Inside("/usr/bin/qemu-img")), "the recommended qemu-utils was not installed");
        Assert.True(File.Exists(Inside("/sbin/parted")) || File.Exists(Inside("/usr/sbin/parted")), "the recommended parted was not installed");

        // The README's tour, as root: the system connection in /etc/kvmstor and /run/kvmstor.
        InRoot("kvmstor pool-define-as virtimages dir --target /var/lib/libvirt/images");
        InRoot("kvmstor pool-build virtimages");
        InRoot("kvmstor pool-start virtimages");
        InRoot("kvmstor pool-autostart virtimages");
        InRoot("kvmstor vol-create-as virtimages base.qcow2 1G --format qcow2");
        InRoot("kvmstor vol-create-as virtimages vm1.qcow2 1G --format qcow2 --backing-vol base.qcow2");
        string list = InRoot("kvmstor vol-list virtimages --details");
        Assert.Matches(@"\n base\.qcow2 +/var/lib/libvirt/images/base\.qcow2 +file +1\.00 GiB +", list);
        Assert.Matches(@"\n vm1\.qcow2 +/var/lib/libvirt/images/vm1\.qcow2 +file +1\.00 GiB +", list);
        string info = InRoot("qemu-img info /var/lib/libvirt/images/vm1.qcow2");
        Assert.Contains("backing file: /var/lib/libvirt/images/base.qcow2\n", info);
        Assert.Contains("backing file format: qcow2\n", info);
        InRoot("printf '%s' \"<secret><usage type='iscsi'><target>lun</target></usage></secret>\" >/tmp/s.xml && kvmstor secret-define /tmp/s.xml");
        InRoot("printf '%s' \"<domain type='kvm'><name>vm1</name><memory>131072</memory><devices/></domain>\" >/tmp/vm1.xml && kvmstor define /tmp/vm1.xml");
        InRoot("kvmstor attach-disk vm1 --pool virtimages --vol vm1.qcow2");

        // Completion as an interactive bash finds it: bash-completion loads the installed script by the command's name.
        const string tab = """
            . /usr/share/bash-completion/bash_completion
            __load_completion kvmstor || exit 1
            spec=$(complete -p kvmstor) || exit 1
            fn=${spec#*-F }; fn=${fn%% *}
            COMP_LINE="kvmstor pool-info virt"; COMP_POINT=${#COMP_LINE}
            COMP_WORDS=(kvmstor pool-info virt); COMP_CWORD=2
            "$fn" kvmstor virt pool-info
            printf '%s\n' "$spec" "${COMPREPLY[@]}"
            """;
        Assert.Equal("complete -F _kvmstor_complete kvmstor\nvirtimages\n", InRoot($"bash -c {Quote(tab)}"));

        // The manual renders, with every command.
        Assert.Equal("/usr/share/man/man1/kvmstor.1.gz\n", InRoot("man -w kvmstor"));
        string page = InRoot("MANWIDTH=80 man -P cat kvmstor");
        Assert.StartsWith("KVMSTOR(1)", page.TrimStart());
        Assert.Contains($"kvmstor {Version}", page);
        foreach (var command in KvmStor.Cli.Parsing.CommandTable.CreateDefault().Groups.SelectMany(g => g.Commands))
            Assert.Matches($"\n {{7}}{System.Text.RegularExpressions.Regex.Escape(command.Name)}[ \n]", page);

        // Remove: the program goes; definitions, secrets, guests and volumes stay.
        InRoot("apt-get remove -y -q kvmstor");
        foreach (var file in PackageFiles) Assert.False(File.Exists(Inside(file)), $"{file} is left after remove");
        string[] userState =
        [
            "/etc/kvmstor/storage/virtimages.xml", "/etc/kvmstor/storage/autostart/virtimages.xml", "/etc/kvmstor/qemu/vm1.xml",
            "/var/lib/libvirt/images/base.qcow2", "/var/lib/libvirt/images/vm1.qcow2",
        ];
        foreach (var file in userState) Assert.True(File.Exists(Inside(file)), $"{file} is gone after remove");
        // The recorded formats of the pool's volumes (by pool UUID) stay with the definitions.
        Assert.Single(Directory.GetFiles(Inside("/var/lib/kvmstor/storage/volume-formats"), "*.formats"));
        Assert.Single(Directory.GetFiles(Inside("/etc/kvmstor/secrets"), "*.xml"));
        Assert.Equal("rc ", InRoot("dpkg-query -W -f='${db:Status-Abbrev}' kvmstor"));
        Assert.Equal("/dev/null", new FileInfo(Inside("/etc/systemd/system/kvmstor-autostart.service")).LinkTarget);

        // Purge: kvmstor's state goes too, with the systemd links; the volumes are the user's and stay.
        InRoot("apt-get purge -y -q kvmstor");
        Assert.False(Directory.Exists(Inside("/etc/kvmstor")), "/etc/kvmstor is left after purge");
        Assert.False(Directory.Exists(Inside("/run/kvmstor")), "/run/kvmstor is left after purge");
        Assert.False(Directory.Exists(Inside("/var/lib/kvmstor")), "/var/lib/kvmstor is left after purge");
        Assert.False(Path.Exists(Inside("/etc/systemd/system/kvmstor-autostart.service")));
        Assert.False(Path.Exists(Inside("/etc/systemd/system/multi-user.target.wants/kvmstor-autostart.service")));
        Assert.True(File.Exists(Inside("/var/lib/libvirt/images/vm1.qcow2")));
        Assert.Equal("", InRoot("dpkg-query -W -f='${db:Status-Abbrev}' kvmstor 2>/dev/null || true"));
        // Nothing named after kvmstor anywhere in the root (its own file systems: /proc, /dev and apt's cache are mounts),
        // apart from logs, /tmp, and man-db's cache of formatted pages (man-db's daily job drops pages whose source is gone).
        string left = InRoot("find / -xdev \\( -path /var/log -o -path /tmp -o -path /var/cache/man \\) -prune -o -name '*kvmstor*' -print");
        Assert.True(left == "", $"left after purge:\n{left}");
        Assert.Empty(ProcessesInRoot());
    }

    private static readonly string[] PackageFiles =
    [
        "/usr/bin/kvmstor", "/usr/share/bash-completion/completions/kvmstor", "/usr/share/man/man1/kvmstor.1.gz",
        "/lib/systemd/system/kvmstor-autostart.service", "/lib/systemd/system/kvmstor.socket", "/lib/systemd/system/kvmstor-ro.socket",
        "/lib/systemd/system/kvmstor.service", "/usr/share/doc/kvmstor/copyright", "/usr/share/doc/kvmstor/changelog.gz",
        "/usr/share/doc/kvmstor/README.md.gz",
    ];

    private string Build()
    {
        var (code, stdout, stderr) = Exec(Path.Combine(Repository, "scripts", "package.sh"), ["--no-build", Path.Combine(_work, "out")], TimeSpan.FromMinutes(5));
        Ok((code, stdout, stderr), "scripts/package.sh");
        string deb = stdout.Trim();
        Assert.Equal(Path.Combine(_work, "out", $"kvmstor_{Version}_amd64.deb"), deb);
        return deb;
    }

    private static void Lintian(string deb)
    {
        var (code, stdout, stderr) = Exec("lintian", ["--pedantic", deb], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"lintian failed ({code}):\n{stdout}{stderr}");
        var tags = stdout.Split('\n').Where(l => l.Length > 2 && l[1] == ':').ToList();
        Assert.DoesNotContain(tags, t => t.StartsWith("E: "));
        Assert.Equal(KeptWarnings, tags.Where(t => t.StartsWith("W: ")));
    }

    /// <summary>Runs a shell command as root in the Debian root; it must succeed. Returns its standard output.</summary>
    private string InRoot(string command, TimeSpan? timeout = null)
    {
        var result = Exec(Script, ["run", Debian, "/bin/sh", "-c", command], timeout ?? TimeSpan.FromMinutes(3));
        Ok(result, command);
        return result.Stdout;
    }

    private static void Ok((int Code, string Stdout, string Stderr) result, string what) =>
        Assert.True(result.Code == 0, $"{what} failed ({result.Code}):\n{result.Stdout}\n{result.Stderr}");

    private static (int Code, string Stdout, string Stderr) Exec(string program, string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, stdout.Result, stderr.Result + $"\n{program} did not finish within {timeout.TotalMinutes} min");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Processes whose root directory is the Debian root.</summary>
    private List<int> ProcessesInRoot()
    {
        string root = Inside("/").TrimEnd('/');
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                if (new FileInfo(Path.Combine(dir, "root")).LinkTarget == root) found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return found;
    }

    private static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KvmStor.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (KvmStor.slnx) not found");
    }
}
