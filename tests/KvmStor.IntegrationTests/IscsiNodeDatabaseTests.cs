using System.Diagnostics;
using System.Text;
using KvmStor.Backends.Iscsi;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.IntegrationTests;

/// <summary>
/// The kernel-initiator iscsi pool's use of open-iscsi's node database, with the real iscsiadm (no iscsid or kernel
/// initiator needed): the record kvmstor's start sequence creates, the CHAP settings, and the password line kvmstor
/// writes itself being read back by iscsiadm. Each test uses its own target name and deletes its records.
/// </summary>
public sealed class IscsiNodeDatabaseTests : IDisposable
{
    private const string Password = "it Chap#Pass=1";
    private readonly string _target = "iqn.2026-01.test.kvmstor:nodedb-" + Guid.NewGuid().ToString("N")[..12];
    private readonly IscsiPortal _portal;
    private readonly IscsiAdm _iscsiadm = new(new ProcessCommandRunner(), null);
    private readonly string _nodes = IscsiHostPaths.System.NodesDirectory;

    public IscsiNodeDatabaseTests()
    {
        _portal = IscsiPortal.Of(new PoolSource { Hosts = [new PoolSourceHost("127.0.0.1")], Devices = [new PoolSourceDevice { Path = _target }] });
        _iscsiadm.RequireInstalled();
    }

    public void Dispose()
    {
        Iscsiadm("--mode", "node", "--portal", _portal.Argument, "--targetname", _target, "--op", "delete");
        string dir = Path.Combine(_nodes, _target);
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static (int Code, string Stdout) Iscsiadm(params string[] args)
    {
        var psi = new ProcessStartInfo(ProcessCommandRunner.Resolve("iscsiadm")!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result);
    }

    private string ShowWithSecrets() =>
        Iscsiadm("--mode", "node", "--portal", _portal.Argument, "--targetname", _target, "--op", "show", "--show").Stdout;

    [Fact]
    public void IscsiadmReadsThePasswordKvmstorWritesAndKeepsItAcrossUpdates()
    {
        _iscsiadm.CreateNode(_portal.Argument, _target);
        _iscsiadm.UpdateNodeSetting(_portal.Argument, _target, "node.session.auth.authmethod", "CHAP");
        _iscsiadm.UpdateNodeSetting(_portal.Argument, _target, "node.session.auth.username", "chapuser");
        var records = new IscsiNodeRecords(_nodes);
        string record = Assert.Single(records.RecordFiles(_portal));
        Assert.Equal(Path.Combine(_nodes, _target, "127.0.0.1,3260,1", "default"), record);

        records.StorePassword(_portal, Encoding.UTF8.GetBytes(Password));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(record));
        string shown = ShowWithSecrets();
        Assert.Contains("node.session.auth.authmethod = CHAP\n", shown);
        Assert.Contains("node.session.auth.username = chapuser\n", shown);
        Assert.Contains($"node.session.auth.password = {Password}\n", shown);

        // iscsiadm rewrites the record on the next update and keeps the password.
        _iscsiadm.UpdateNodeSetting(_portal.Argument, _target, "node.session.auth.username", "other");
        Assert.Contains($"node.session.auth.password = {Password}\n", ShowWithSecrets());

        // A new "--op new" resets the record: the reason every start sets CHAP again.
        _iscsiadm.CreateNode(_portal.Argument, _target);
        Assert.Contains("node.session.auth.authmethod = None\n", ShowWithSecrets());
        Assert.DoesNotContain(Password, File.ReadAllText(record));
    }
}
