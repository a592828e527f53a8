using System.Text.Json;

namespace KvmStor.IntegrationTests;

/// <summary>
/// The pool commands end to end through the real kvmstor binary, in a temp session state, checked against what
/// virsh 9.0 prints in ../shared/reference/virsh-9.0.0-transcripts.txt (paths and uuids substituted).
/// </summary>
public sealed class PoolCliTests : IDisposable
{
    private readonly KvmstorProcess _k = new();
    private string Pools => Path.Combine(_k.Root, "pools");

    public void Dispose() => _k.Dispose();

    private void Expect(string stdout, string stderr, int exitCode, params string[] args)
    {
        var (code, o, e) = _k.Run(args);
        Assert.Equal(stderr, e);
        Assert.Equal(stdout, o);
        Assert.Equal(exitCode, code);
    }

    private string Uuid(string pool) => _k.Run("pool-uuid", pool).Stdout.Trim();

    [Fact]
    public void The_transcript_session_of_a_dir_pool()
    {
        string p1 = $"{Pools}/p1";
        Expect("Pool p1 defined\n\n", "", 0, "pool-define-as", "p1", "dir", "--target", p1);
        string uuid = Uuid("p1");
        Expect("\n", $"error: Failed to define pool p1\nerror: operation failed: pool 'p1' already exists with uuid {uuid}\n", 1,
            "pool-define-as", "p1", "dir", "--target", $"{Pools}/p1b");
        Expect("\n", "error: Failed to define pool p2\nerror: operation failed: Storage source conflict with pool: 'p1'\n", 1,
            "pool-define-as", "p2", "dir", "--target", p1);
        Expect("\n", "error: Failed to define pool p3\nerror: XML error: missing storage pool target path\n", 1, "pool-define-as", "p3", "dir");
        Expect("\n", "error: Failed to define pool a/b\nerror: XML error: name a/b cannot contain '/'\n", 1,
            "pool-define-as", "a/b", "dir", "--target", $"{Pools}/ab");
        Expect("\n", "error: Failed to define pool p4\nerror: XML error: Invalid value for attribute 'type' in element 'pool': 'foo'.\n", 1,
            "pool-define-as", "p4", "foo", "--target", $"{Pools}/p4");
        Expect("\n", "error: Failed to define pool p5\nerror: XML error: missing storage pool source host name\n", 1,
            "pool-define-as", "p5", "netfs", "--target", $"{Pools}/p5");
        Expect($"<pool type='netfs'>\n  <name>p5</name>\n  <source>\n    <host name='h'/>\n  </source>\n  <target>\n    <path>{Pools}/p5</path>\n  </target>\n</pool>\n\n", "", 0,
            "pool-define-as", "p5", "netfs", "--source-host", "h", "--target", $"{Pools}/p5", "--print-xml");
        Expect("\n", $"error: Failed to start pool p1\nerror: cannot open directory '{p1}': No such file or directory\n", 1, "pool-start", "p1");
        Expect("Pool p1 built\n\n", "", 0, "pool-build", "p1");
        Expect("Pool p1 started\n\n", "", 0, "pool-start", "p1");
        Expect("\n", "error: Failed to start pool p1\nerror: Requested operation is not valid: storage pool 'p1' is already active\n", 1, "pool-start", "p1");

        var info = _k.Run("pool-info", "p1");
        Assert.Equal(0, info.ExitCode);
        Assert.Matches($"^Name:           p1\nUUID:           {uuid}\nState:          running\nPersistent:     yes\nAutostart:      no\n" +
                       @"Capacity:       \d+\.\d\d [KMGTP]?i?B\nAllocation:     \d+\.\d\d [KMGTP]?i?B\nAvailable:      \d+\.\d\d [KMGTP]?i?B\n\n$", info.Stdout);
        var bytes = _k.Run("pool-info", "p1", "--bytes").Stdout.Split('\n');
        ulong capacity = ulong.Parse(bytes[5]["Capacity:".Length..].Trim());
        ulong allocation = ulong.Parse(bytes[6]["Allocation:".Length..].Trim());
        ulong available = ulong.Parse(bytes[7]["Available:".Length..].Trim());
        Assert.Equal(capacity, allocation + available);

        Expect(" Name   State    Autostart\n----------------------------\n p1     active   no\n\n", "", 0, "pool-list", "--all");
        Assert.Matches(@"^ Name   State     Autostart   Persistent   Capacity +Allocation +Available\n-+\n p1     running   no          yes          \d+\.\d\d \w+ +\d+\.\d\d \w+ +\d+\.\d\d \w+\n\n$",
            _k.Run("pool-list", "--all", "--details").Stdout);
        Expect("p1                  \n\n", "", 0, "pool-list", "--name");
        Expect($"{uuid}\n\n", "", 0, "pool-list", "--uuid");
        Expect("\n", "error: Invalid pool type 'foo'\n", 1, "pool-list", "--type", "dir,foo");
        Expect("\n", "error: failed to get pool 'nosuch'\nerror: Storage pool not found: no storage pool with matching name 'nosuch'\n", 1, "pool-info", "nosuch");
        Expect($"{uuid}\n\n", "", 0, "pool-uuid", "p1");
        Expect("p1\n\n", "", 0, "pool-name", uuid);
        Expect("\n", "error: failed to get pool 'p1'\n", 1, "pool-name", "p1");

        Assert.Matches($"^<pool type='dir'>\n  <name>p1</name>\n  <uuid>{uuid}</uuid>\n  <capacity unit='bytes'>{capacity}</capacity>\n" +
                       $"  <allocation unit='bytes'>\\d+</allocation>\n  <available unit='bytes'>\\d+</available>\n  <source>\n  </source>\n  <target>\n" +
                       $"    <path>{p1}</path>\n    <permissions>\n      <mode>0711</mode>\n      <owner>0</owner>\n      <group>0</group>\n    </permissions>\n  </target>\n</pool>\n\n$",
            _k.Run("pool-dumpxml", "p1").Stdout);

        Expect("Pool p1 marked as autostarted\n\n", "", 0, "pool-autostart", "p1");
        Assert.Equal(Path.Combine(_k.ConfigDirectory, "p1.xml"), new FileInfo(Path.Combine(_k.ConfigDirectory, "autostart", "p1.xml")).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_k.ConfigDirectory, "p1.xml")));
        Assert.True(File.Exists(Path.Combine(_k.StateDirectory, "p1.xml")));
        Expect("Pool p1 unmarked as autostarted\n\n", "", 0, "pool-autostart", "p1", "--disable");

        Expect("Pool p1 destroyed\n\n", "", 0, "pool-destroy", "p1");
        Assert.False(File.Exists(Path.Combine(_k.StateDirectory, "p1.xml")));
        Expect("Pool p1 deleted\n\n", "", 0, "pool-delete", "p1");
        Expect("Pool p1 has been undefined\n\n", "", 0, "pool-undefine", "p1");
        Expect(" Name   State   Autostart\n---------------------------\n\n", "", 0, "pool-list", "--all");
    }

    [Fact]
    public void Config_and_state_files_have_libvirts_layout()
    {
        _k.Run("pool-define-as", "d1", "dir", "--target", $"{Pools}/d1");
        string uuid = Uuid("d1");
        string comment = "<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\nOVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n" +
                         "  kvmstor pool-edit d1\nor other application using the libvirt API.\n-->\n\n";
        Assert.Equal(comment + $"<pool type='dir'>\n  <name>d1</name>\n  <uuid>{uuid}</uuid>\n  <capacity unit='bytes'>0</capacity>\n  <allocation unit='bytes'>0</allocation>\n" +
                     $"  <available unit='bytes'>0</available>\n  <source>\n  </source>\n  <target>\n    <path>{Pools}/d1</path>\n  </target>\n</pool>\n",
            File.ReadAllText(Path.Combine(_k.ConfigDirectory, "d1.xml")));
        Expect("Pool d1 started\n\n", "", 0, "pool-start", "d1", "--build");
        string state = File.ReadAllText(Path.Combine(_k.StateDirectory, "d1.xml"));
        Assert.StartsWith(comment + "<poolstate>\n  <pool type='dir'>\n    <name>d1</name>\n", state);
        Assert.EndsWith("  </pool>\n</poolstate>\n", state);
    }

    [Fact]
    public void Transient_pools_and_build_flags()
    {
        Expect("\n", $"error: Failed to create pool t1\nerror: cannot open directory '{Pools}/t1': No such file or directory\n", 1,
            "pool-create-as", "t1", "dir", "--target", $"{Pools}/t1");
        Expect("Pool t1 created\n\n", "", 0, "pool-create-as", "t1", "dir", "--target", $"{Pools}/t1", "--build");
        Expect(" Name   State    Autostart\n----------------------------\n t1     active   no\n\n", "", 0, "pool-list", "--transient", "--all");
        Expect("\n", "error: failed to mark pool t1 as autostarted\nerror: internal error: pool has no config file\n", 1, "pool-autostart", "t1");
        Expect("Pool t1 destroyed\n\n", "", 0, "pool-destroy", "t1");
        Expect(" Name   State   Autostart\n---------------------------\n\n", "", 0, "pool-list", "--all");

        _k.Run("pool-define-as", "d1", "dir", "--target", $"{Pools}/d1");
        Expect("\n", "error: Failed to start pool d1\nerror: Requested operation is not valid: No source device specified when formatting pool 'd1'\n", 1,
            "pool-start", "d1", "--build", "--overwrite");
        Expect("\n", "error: Options --overwrite and --no-overwrite are mutually exclusive\n", 1, "pool-start", "d1", "--overwrite", "--no-overwrite");
    }

    [Fact]
    public void Bad_input_gets_one_clear_error_and_nothing_is_written()
    {
        var cases = new (string File, string Content, string Error)[]
        {
            ("malformed.xml", "<pool type='dir'>\n", "(storage_pool_definition):"),
            ("doctype.xml", "<!DOCTYPE pool [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<pool type='dir'><name>&x;</name><target><path>/x</path></target></pool>",
                "DOCTYPE and entity declarations are not allowed"),
            ("slash.xml", "<pool type='dir'><name>a/b</name><target><path>/x</path></target></pool>", "XML error: name a/b cannot contain '/'"),
            ("newline.xml", "<pool type='dir'><name>a\nb</name><target><path>/x</path></target></pool>", "invalid char in name: 0x0a"),
            ("type.xml", "<pool type='foo'><name>a</name><target><path>/x</path></target></pool>", "XML error: Invalid value for attribute 'type' in element 'pool': 'foo'."),
            ("uuid.xml", "<pool type='dir'><name>a</name><uuid>zz</uuid><target><path>/x</path></target></pool>", "XML error: malformed uuid element"),
            ("mode.xml", "<pool type='dir'><name>a</name><target><path>/x</path><permissions><mode>0999</mode></permissions></target></pool>", "XML error: malformed octal mode"),
        };
        foreach (var (file, content, error) in cases)
        {
            string path = Path.Combine(_k.Root, file);
            File.WriteAllText(path, content);
            var (code, stdout, stderr) = _k.Run("pool-define", path);
            Assert.Equal(1, code);
            Assert.StartsWith($"error: Failed to define pool from {path}\nerror: ", stderr);
            Assert.Contains(error, stderr);
            Assert.DoesNotContain("root:", stderr); // the entity was never expanded
        }
        Expect("\n", $"error: Failed to open file '{_k.Root}/missing.xml': No such file or directory\n", 1, "pool-define", $"{_k.Root}/missing.xml");
        Assert.False(Directory.Exists(_k.ConfigDirectory) && Directory.EnumerateFileSystemEntries(_k.ConfigDirectory).Any());
    }

    [Fact]
    public void Json_output_of_list_and_info()
    {
        _k.Run("pool-create-as", "j1", "dir", "--target", $"{Pools}/j1", "--build");
        _k.Run("pool-define-as", "j2", "dir", "--target", $"{Pools}/j2");
        var (code, stdout, _) = _k.Run("pool-list", "--all", "--json");
        Assert.Equal(0, code);
        using var list = JsonDocument.Parse(stdout);
        var pools = list.RootElement.EnumerateArray().ToList();
        Assert.Equal(["j1", "j2"], pools.Select(p => p.GetProperty("name").GetString()));
        Assert.Equal("running", pools[0].GetProperty("state").GetString());
        Assert.False(pools[0].GetProperty("persistent").GetBoolean());
        Assert.True(pools[0].GetProperty("capacity").GetUInt64() > 0);

        using var info = JsonDocument.Parse(_k.Run("pool-info", "j2", "--json").Stdout);
        Assert.Equal("inactive", info.RootElement.GetProperty("state").GetString());
        Assert.Equal(Uuid("j2"), info.RootElement.GetProperty("uuid").GetString());
    }

    [Fact]
    public void Quiet_mode_prints_no_success_messages()
    {
        Expect("", "", 0, "-q", "pool-define-as", "q1", "dir", "--target", $"{Pools}/q1");
        Expect("", "", 0, "-q", "pool-start", "q1", "--build");
    }

    [Fact]
    public void Pool_edit_round_trip_through_an_editor()
    {
        _k.Run("pool-define-as", "e1", "dir", "--target", $"{Pools}/e1");
        var unchanged = _k.RunWith(new() { ["EDITOR"] = "true", ["VISUAL"] = "" }, "pool-edit", "e1");
        Assert.Equal("Pool e1 XML configuration not changed.\n\n", unchanged.Stdout);
        var edited = _k.RunWith(new() { ["VISUAL"] = $"sed -i s#{Pools}/e1#{Pools}/e1-new#" }, "pool-edit", "e1");
        Assert.Equal("Pool e1 XML configuration edited.\n\n", edited.Stdout);
        Assert.Contains($"<path>{Pools}/e1-new</path>", _k.Run("pool-dumpxml", "e1").Stdout);
    }

    [Fact]
    public void Events_from_one_process_reach_a_listener_in_another()
    {
        using var listener = _k.StartProcess("pool-event", "--loop", "--event", "lifecycle", "--timeout", "20");
        Thread.Sleep(1000); // let the listener take its starting point
        _k.Run("pool-define-as", "ev", "dir", "--target", $"{Pools}/ev");
        _k.Run("pool-build", "ev");
        // A build inside pool-start --build adds no second Created (as libvirt: Started alone).
        _k.Run("pool-start", "ev", "--build");
        _k.Run("pool-destroy", "ev");
        _k.Run("pool-undefine", "ev");
        listener.WaitForExit(30_000);
        string output = listener.StandardOutput.ReadToEnd();
        Assert.Contains(
            "event 'lifecycle' for storage pool ev: Defined\nevent 'lifecycle' for storage pool ev: Created\n" +
            "event 'lifecycle' for storage pool ev: Started\nevent 'lifecycle' for storage pool ev: Stopped\n" +
            "event 'lifecycle' for storage pool ev: Undefined\n", output);
        Assert.Contains("events received: 5", output);
    }

    [Fact]
    public void Autostart_command_starts_marked_pools_and_reports_failures()
    {
        _k.Run("pool-define-as", "a1", "dir", "--target", $"{Pools}/a1");
        _k.Run("pool-build", "a1");
        _k.Run("pool-define-as", "b1", "dir", "--target", $"{Pools}/b1");
        _k.Run("pool-autostart", "a1");
        _k.Run("pool-autostart", "b1");
        Expect("Pool a1 started\n\n", $"error: Failed to start pool b1\nerror: cannot open directory '{Pools}/b1': No such file or directory\n", 1, "autostart");
        Expect(" Name   State      Autostart\n------------------------------\n a1     active     yes\n b1     inactive   yes\n\n", "", 0, "pool-list", "--all");

        // After a (simulated) reboot the first command starts the autostart pools by itself and warns about the
        // one that cannot start; the command itself still runs.
        _k.Run("pool-destroy", "a1");
        File.WriteAllText(Path.Combine(_k.StateDirectory, "autostarted"), "an-earlier-boot\n");
        Expect(" Name   State      Autostart\n------------------------------\n a1     active     yes\n b1     inactive   yes\n\n",
            $"warning: pool b1 failed to autostart: cannot open directory '{Pools}/b1': No such file or directory\n", 0, "pool-list", "--all");
        Expect(" Name   State      Autostart\n------------------------------\n a1     active     yes\n b1     inactive   yes\n\n", "", 0, "pool-list", "--all");
    }
}
