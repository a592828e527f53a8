using System.Diagnostics;
using System.Text.Json;

namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// Ansible's community.libvirt.virt_pool module (Debian 12's `ansible` package; it ships no virt_volume) managing a dir
/// pool through `kvmstor serve`: playbooks run on localhost with a local connection, the module's `uri` pointing at the
/// server's socket, and every result is checked against the kvmstor CLI's view and the files.
/// </summary>
public sealed class AnsibleAgainstServeTests : IDisposable
{
    private const string Module = "/usr/lib/python3/dist-packages/ansible_collections/community/libvirt/plugins/modules/";
    private readonly ServeFixture _f = new();
    private KvmstorProcess K => _f.Kvmstor;
    private string Target => Path.Combine(K.Root, "pools", "ans");

    public void Dispose() => _f.Dispose();

    /// <summary>Runs a playbook of virt_pool tasks (indented YAML list items) against the server.</summary>
    private string Playbook(string uri, string tasks)
    {
        string file = Path.Combine(K.Root, $"play-{Guid.NewGuid():N}.yml");
        File.WriteAllText(file, $"""
            - hosts: localhost
              connection: local
              gather_facts: false
              vars:
                uri: "{uri}"
                out: "{K.Root}"
              tasks:
            {tasks}
            """);
        var psi = new ProcessStartInfo("/usr/bin/ansible-playbook") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-i", "localhost,", file]) psi.ArgumentList.Add(a);
        // Ansible's own files stay in the test's directory; no warnings about the implicit localhost.
        psi.Environment["ANSIBLE_HOME"] = Path.Combine(K.Root, "ansible");
        psi.Environment["ANSIBLE_LOCAL_TEMP"] = Path.Combine(K.Root, "ansible", "tmp");
        psi.Environment["ANSIBLE_PYTHON_INTERPRETER"] = "/usr/bin/python3";
        psi.Environment["ANSIBLE_LOCALHOST_WARNING"] = "false";
        psi.Environment["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "false";
        psi.Environment["ANSIBLE_NOCOLOR"] = "1";
        psi.Environment["ANSIBLE_RETRY_FILES_ENABLED"] = "false";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("ansible-playbook did not finish");
        }
        Assert.True(p.ExitCode == 0, $"ansible-playbook: {stdout.Result}\n{stderr.Result}");
        Assert.Contains("failed=0", stdout.Result);
        return stdout.Result;
    }

    private JsonElement Json(string name) => JsonDocument.Parse(File.ReadAllText(Path.Combine(K.Root, name))).RootElement;

    private string Cli(params string[] args)
    {
        var (code, stdout, stderr) = K.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)}: {stderr}");
        return stdout;
    }

    [Fact]
    public void Debian_ships_virt_pool_but_no_virt_volume()
    {
        Assert.True(File.Exists(Module + "virt_pool.py"));
        Assert.False(File.Exists(Module + "virt_volume.py"));
    }

    [Fact]
    public void Virt_pool_defines_builds_starts_autostarts_lists_stops_and_undefines_a_dir_pool()
    {
        // Define from XML, build, start (state: active), autostart.
        Playbook(_f.Uri, $"""
                - community.libvirt.virt_pool:
                    command: define
                    name: ans
                    uri: "{"{{ uri }}"}"
                    xml: "<pool type='dir'><name>ans</name><target><path>{Target}</path></target></pool>"
                  register: defined
                - community.libvirt.virt_pool: {"{ command: build, name: ans, mode: new, uri: \"{{ uri }}\" }"}
                - community.libvirt.virt_pool: {"{ state: active, name: ans, uri: \"{{ uri }}\" }"}
                  register: started
                - community.libvirt.virt_pool: {"{ autostart: true, name: ans, uri: \"{{ uri }}\" }"}
                  register: autostarted
                - copy: {"{ content: \"{{ [defined, started, autostarted] | to_json }}\", dest: \"{{ out }}/changes.json\" }"}
            """);
        Assert.Equal([true, true, true], Json("changes.json").EnumerateArray().Select(r => r.GetProperty("changed").GetBoolean()));
        string info = Cli("pool-info", "ans");
        Assert.Contains("State:          running\n", info);
        Assert.Contains("Persistent:     yes\n", info);
        Assert.Contains("Autostart:      yes\n", info);
        Assert.True(Directory.Exists(Target));
        Assert.Equal(0, K.Run("vol-create-as", "ans", "v1.img", "1M").ExitCode);

        // Info, facts, the list, status, XML and refresh; then stop (state: inactive) and undefine.
        string uuid = Cli("pool-uuid", "ans").Trim();
        string xml = Cli("pool-dumpxml", "ans");
        Playbook(_f.Uri, """
                - community.libvirt.virt_pool: { command: info, uri: "{{ uri }}" }
                  register: info
                - community.libvirt.virt_pool: { command: facts, uri: "{{ uri }}" }
                - community.libvirt.virt_pool: { command: list_pools, uri: "{{ uri }}" }
                  register: listed
                - community.libvirt.virt_pool: { command: status, name: ans, uri: "{{ uri }}" }
                  register: status
                - community.libvirt.virt_pool: { command: get_xml, name: ans, uri: "{{ uri }}" }
                  register: xml
                - community.libvirt.virt_pool: { command: refresh, name: ans, uri: "{{ uri }}" }
                - copy: { content: "{{ {'info': info, 'facts': ansible_libvirt_pools, 'listed': listed, 'status': status, 'xml': xml} | to_json }}", dest: "{{ out }}/seen.json" }
                - community.libvirt.virt_pool: { state: inactive, name: ans, uri: "{{ uri }}" }
            """);
        var seen = Json("seen.json");
        foreach (var pool in new[] { seen.GetProperty("info").GetProperty("pools").GetProperty("ans"), seen.GetProperty("facts").GetProperty("ans") })
        {
            Assert.Equal(uuid, pool.GetProperty("uuid").GetString());
            Assert.Equal(("running", "active", "yes", "yes", "dir"), (pool.GetProperty("status").GetString(), pool.GetProperty("state").GetString(),
                pool.GetProperty("autostart").GetString(), pool.GetProperty("persistent").GetString(), pool.GetProperty("type").GetString()));
            Assert.Equal(Target, pool.GetProperty("path").GetString());
            Assert.Equal(1, pool.GetProperty("volume_count").GetInt32());
            Assert.Equal(["v1.img"], pool.GetProperty("volumes").EnumerateArray().Select(v => v.GetString()));
            // Capacity is the filesystem's; used and available move with everything else on it, their sum does not.
            long total = long.Parse(pool.GetProperty("size_total").GetString()!);
            Assert.Equal(new DriveInfo(Target).TotalSize, total);
        }
        Assert.Equal(["ans"], seen.GetProperty("listed").GetProperty("list_pools").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("active", seen.GetProperty("status").GetProperty("status").GetString());
        Assert.Equal(xml, seen.GetProperty("xml").GetProperty("get_xml").GetString() + "\n");
        Assert.Contains("State:          inactive\n", Cli("pool-info", "ans"));

        Playbook(_f.Uri, """
                - community.libvirt.virt_pool: { state: undefined, name: ans, uri: "{{ uri }}" }
                  register: undefined
                - community.libvirt.virt_pool: { state: undefined, name: ans, uri: "{{ uri }}" }
                  register: again
                - copy: { content: "{{ [undefined.changed, again.changed] | to_json }}", dest: "{{ out }}/undefined.json" }
            """);
        Assert.Equal([true, false], Json("undefined.json").EnumerateArray().Select(r => r.GetBoolean()));
        Assert.Equal("", Cli("pool-list", "--all", "--name").Trim());
        // Undefining keeps the directory and its volume, as libvirt.
        Assert.True(File.Exists(Path.Combine(Target, "v1.img")));
    }

    [Fact]
    public void Virt_pool_through_a_qemu_uri_deletes_a_pool_and_reports_libvirts_errors()
    {
        Assert.Equal(0, K.Run("pool-define-as", "gone", "dir", "--target", Target).ExitCode);
        string output = Playbook($"qemu+unix:///system?socket={_f.Socket}", """
                - community.libvirt.virt_pool: { command: build, name: gone, mode: no_overwrite, uri: "{{ uri }}" }
                  register: refused
                  ignore_errors: true
                - community.libvirt.virt_pool: { command: build, name: gone, uri: "{{ uri }}" }
                - community.libvirt.virt_pool: { command: start, name: gone, uri: "{{ uri }}" }
                - community.libvirt.virt_pool: { state: deleted, name: gone, mode: normal, uri: "{{ uri }}" }
                - copy: { content: "{{ refused.msg }}", dest: "{{ out }}/refused.txt" }
            """);
        // libvirt's dir pools format nothing: NO_OVERWRITE asks for a source device they do not have (libvirt's text).
        Assert.Equal("Requested operation is not valid: No source device specified when formatting pool 'gone'",
            File.ReadAllText(Path.Combine(K.Root, "refused.txt")));
        Assert.Contains("ignored=1", output);
        // state: deleted stops, deletes (the directory) and undefines.
        Assert.False(Directory.Exists(Target));
        Assert.Equal("", Cli("pool-list", "--all", "--name").Trim());
    }
}
