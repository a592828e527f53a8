using System.Diagnostics;
using System.Text.RegularExpressions;
using static KvmStor.IntegrationTests.Cockpit.PageJs;

namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>One text the page showed at one step of the pass (normalised: temp paths and the loop device's name replaced).</summary>
public sealed record PageText(string Step, string Text);

/// <summary>
/// One scripted pass through every action of Cockpit's Storage pools page, the same against either daemon: after each
/// action it waits for the page to show the result (DOM conditions with generous bounds), records what the page shows,
/// checks what the daemon's own CLI (virsh or kvmstor) says, and takes a screenshot.
/// </summary>
public sealed partial class StoragePagePass
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(90);
    private readonly CockpitStack _stack;
    private readonly string _artifacts;
    private readonly string _loopDevice;
    private readonly List<PageText> _texts = [];
    private int _shot;

    public IReadOnlyList<PageText> Texts => _texts;

    /// <summary>Steps completed, in order (what passed against this daemon, when a later step fails).</summary>
    public List<string> Completed { get; } = [];

    private DevToolsPage Page => _stack.Page;
    private StorageDaemon Daemon => _stack.Daemon;
    /// <summary>The pools' directories: a 512 MiB tmpfs of the namespace, so sizes are the same on every run.</summary>
    private string Pools => Path.Combine(_stack.Root, "pools");
    /// <summary>The pools' directory as the test (outside the namespace) reaches it: through the holder's root.</summary>
    private string PoolsSeenFromOutside => $"/proc/{_stack.Namespace.HolderPid}/root{Pools}";
    private string LoopName => Path.GetFileName(_loopDevice);

    public StoragePagePass(CockpitStack stack, string artifacts, string loopDevice)
    {
        _stack = stack;
        _artifacts = artifacts;
        _loopDevice = loopDevice;
        Directory.CreateDirectory(artifacts);
    }

    public void Run()
    {
        Step("set-up with the daemon's CLI", SetUp);
        Step("page loads with the pools", LoadPage);
        Step("overview of a dir pool", () => Overview("ck-dir", "dir pool"));
        Step("volumes with Used by", VolumesWithUsedBy);
        Step("create qcow2 volume", () => CreateVolume("ck-dir", "new.qcow2", "256", "MiB", "qcow2"));
        Step("create raw volume", () => CreateVolume("ck-dir", "new.raw", "100", "MiB", "raw"));
        Step("a used volume cannot be deleted", UsedVolumeNotDeletable);
        Step("delete several volumes at once", DeleteSeveralVolumes);
        Step("a pool used by a guest cannot be deleted", UsedPoolNotDeletable);
        Step("create pool dialog offers", CreatePoolDialogTexts);
        Step("create dir pool", () => CreatePool("ck-new", "dir", new() { ["Target path"] = $"{Pools}/ck-new" }, autostart: true));
        Step("activate dir pool", () => Activate("ck-new"));
        Step("create volume in the new pool", () => CreateVolume("ck-new", "junk.qcow2", "64", "MiB", "qcow2"));
        Step("deactivate dir pool (last sizes kept)", () => Deactivate("ck-new"));
        Step("delete active pool with its volumes", DeletePoolWithVolumes);
        Step("delete active pool without its volumes", DeletePoolKeepingVolumes);
        Step("disk pool on a loop device", DiskPool);
        Step("netfs pool defined and shown", () => DefinedOnly("ck-nfs", "netfs",
            new() { ["Target path"] = $"{Pools}/ck-nfs", ["Host"] = "127.0.0.1", ["Source path"] = "/export" }));
        Step("iscsi pool defined and shown", () => DefinedOnly("ck-iscsi", "iscsi",
            new() { ["Target path"] = $"{Pools}/ck-iscsi", ["Host"] = "127.0.0.1", ["Source path"] = "iqn.2024-01.test.kvmstor:ck" }));
        Step("iscsi-direct pool defined and shown", () => DefinedOnly("ck-iscsid", "iscsi-direct",
            new() { ["Host"] = "127.0.0.1", ["Source path"] = "iqn.2024-01.test.kvmstor:ck", ["Initiator"] = "iqn.2024-01.test.kvmstor:initiator" }));
        Step("logical pool defined and shown", () => DefinedOnly("ck-lvm", "logical", new() { ["Source volume group"] = "ckvg" }));
        Step("final pool list", () =>
        {
            Record("final pool list", PoolRows());
            Assert.Equal(["ck-dir"], CliPools().Keys.Order().ToArray());
        });
    }

    private void Step(string name, Action action)
    {
        var clock = Stopwatch.StartNew();
        try { action(); }
        catch (Exception e)
        {
            try { Shot("FAILED-" + name); } catch (Exception) { /* the page may be gone */ }
            throw new StepFailedException(Daemon.Name, name, e);
        }
        Completed.Add($"{name} ({clock.Elapsed.TotalSeconds:0.0} s)");
    }

    /// <summary>The starting state, made with the daemon's own CLI: a used dir pool with volumes, an idle pool, a guest.</summary>
    private void SetUp()
    {
        _stack.Namespace.RunChecked("mkdir", "-p", Pools);
        _stack.Namespace.RunChecked("mount", "-t", "tmpfs", "-o", "size=512m,mode=0755", "tmpfs", Pools);
        // The page's path fields take existing directories (picked from a listing), as a user would pick them.
        _stack.Namespace.RunChecked("mkdir", $"{Pools}/ck-new", $"{Pools}/ck-nfs", $"{Pools}/ck-iscsi");
        foreach (string command in new[]
        {
            $"pool-define-as ck-dir dir --target {Pools}/ck-dir", "pool-build ck-dir", "pool-start ck-dir", "pool-autostart ck-dir",
            "vol-create-as ck-dir alpine.qcow2 2G --format qcow2",
            "vol-create-as ck-dir data.raw 128M --format raw --allocation 64M",
            "vol-create-as ck-dir used.qcow2 1G --format qcow2",
            $"pool-define-as ck-idle dir --target {Pools}/ck-idle", "pool-build ck-idle",
        })
            Daemon.CliChecked(command.Split(' '));
        string guest = Path.Combine(_stack.Root, "ck-guest.xml");
        File.WriteAllText(guest, """
            <domain type='qemu'>
              <name>ck-guest</name>
              <memory unit='MiB'>128</memory>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <disk type='volume' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source pool='ck-dir' volume='used.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
              </devices>
            </domain>
            """);
        Daemon.CliChecked("define", guest);
    }

    private void LoadPage()
    {
        Page.Call("Page.addScriptToEvaluateOnNewDocument", new() { ["source"] = Helpers });
        Page.Navigate(CockpitStack.StoragePageUrl);
        // No /dev/kvm here: the page first shows its "Hardware virtualization is disabled" slate; its Ignore button is
        // remembered for the browser profile.
        Page.WaitFor("!!($id('ignore-hw-virtualization-disabled-btn') || $id('pool-ck-dir-system-name'))", "the storage page or the slate", Slow);
        if (Page.Bool("!!$id('ignore-hw-virtualization-disabled-btn')"))
        {
            Record("hardware virtualization slate", Page.Text("document.body.innerText.split('\\n')[0]"));
            Shot("hw-virt-slate");
            Page.Evaluate("$id('ignore-hw-virtualization-disabled-btn').click()");
        }
        Page.WaitFor("!!$id('pool-ck-dir-system-name') && !!$id('pool-ck-idle-system-name')", "both pools listed", Slow);
        // Creating a pool is possible once the page has read pool-capabilities.
        Page.WaitFor("!$id('create-storage-pool').disabled", "Create storage pool enabled", Slow);
        Record("pool list", PoolRows());
        Shot("pool-list");
        var pools = CliPools();
        Assert.Equal(("active", "yes"), pools["ck-dir"]);
        Assert.Equal(("inactive", "no"), pools["ck-idle"]);
    }

    private void Overview(string pool, string what)
    {
        Expand(pool);
        Page.Evaluate($"$btn('Overview', $row({Str(pool)}).nextElementSibling).click()");
        Page.WaitFor($"$row({Str(pool)}).nextElementSibling.innerText.includes('Persistent')", $"{pool}'s overview");
        Record($"overview of {what}", Page.Text($"$row({Str(pool)}).nextElementSibling.innerText"));
        Shot($"{pool}-overview");
    }

    private void VolumesWithUsedBy()
    {
        ShowVolumes("ck-dir", "used.qcow2");
        Page.WaitFor("$id('pool-ck-dir-system-volume-used.qcow2-name').closest('tr').innerText.includes('ck-guest')", "used.qcow2 used by ck-guest");
        Record("ck-dir volumes", VolumeRows("ck-dir"));
        Shot("ck-dir-volumes");
        Assert.Equal(["alpine.qcow2", "data.raw", "used.qcow2"], CliVolumes("ck-dir"));
    }

    private void CreateVolume(string pool, string name, string size, string unit, string format)
    {
        ShowVolumes(pool, null);
        Page.Evaluate($"$id({Str(pool + "-system-create-volume-button")}).click()");
        Page.WaitFor("!!$id('create-volume-dialog-modal')", "the create volume dialog");
        Record($"create volume dialog of a {PoolType(pool)} pool", Page.Text(
            "$id('create-volume-dialog-modal').innerText + '\\nformats: ' + [...$id('create-volume-dialog-format').options].map(o => o.value).join(',')"));
        Page.Evaluate($"$set($id('create-volume-dialog-name'), {Str(name)})");
        Page.Evaluate($"$set($id('create-volume-dialog-size'), {Str(size)})");
        Page.Evaluate($"$set($id('create-volume-dialog-unit'), {Str(unit)})");
        Page.Evaluate($"$set($id('create-volume-dialog-format'), {Str(format)})");
        Shot($"{pool}-create-{name}");
        Page.Evaluate("$btn('Create', $id('create-volume-dialog-modal')).click()");
        WaitForDialogClosed("create-volume-dialog-modal");
        Page.WaitFor($"!!$id({Str($"pool-{pool}-system-volume-{name}-name")})", $"{name} listed", Slow);
        Record($"{pool} volumes after creating {name}", VolumeRows(pool));
        Record($"{pool} row after creating {name}", PoolRow(pool));
        Shot($"{pool}-{name}-created");
        Assert.Contains(name, CliVolumes(pool));
        if (format is "qcow2" or "raw")
            Assert.Contains($"<format type='{format}'/>", Daemon.CliChecked("vol-dumpxml", "--pool", pool, name));
    }

    private void UsedVolumeNotDeletable()
    {
        ShowVolumes("ck-dir", "used.qcow2");
        ToggleVolume("ck-dir", "used.qcow2");
        Page.WaitFor("!!$id('storage-volumes-delete')", "the Delete button");
        Record("delete button with a used volume selected",
            Page.Text("$id('storage-volumes-delete').textContent + ' disabled=' + $id('storage-volumes-delete').disabled"));
        Assert.True(Page.Bool("$id('storage-volumes-delete').disabled"), "deleting a volume a guest uses is offered");
        Shot("used-volume-selected");
        ToggleVolume("ck-dir", "used.qcow2");
        Page.WaitFor("!$id('storage-volumes-delete')", "no Delete button without a selection");
    }

    private void DeleteSeveralVolumes()
    {
        foreach (string v in new[] { "new.qcow2", "new.raw", "data.raw" }) ToggleVolume("ck-dir", v);
        Page.WaitFor("$id('storage-volumes-delete').textContent.trim() === 'Delete 3 volumes' && !$id('storage-volumes-delete').disabled", "Delete 3 volumes");
        Shot("three-volumes-selected");
        Page.Evaluate("$id('storage-volumes-delete').click()");
        Page.WaitFor("!$id('pool-ck-dir-system-volume-new.qcow2-name') && !$id('pool-ck-dir-system-volume-new.raw-name') && !$id('pool-ck-dir-system-volume-data.raw-name')",
            "the three volumes gone", Slow);
        Record("ck-dir volumes after deleting three", VolumeRows("ck-dir"));
        Record("ck-dir row after deleting three", PoolRow("ck-dir"));
        Shot("three-volumes-deleted");
        Assert.Equal(["alpine.qcow2", "used.qcow2"], CliVolumes("ck-dir"));
    }

    private void UsedPoolNotDeletable()
    {
        OpenKebab("ck-dir");
        Record("kebab of a pool a guest uses", Page.Text(
            "[...$id('pool-ck-dir-system-action-kebab').querySelectorAll('li')].map(l => $flat(l.innerText) + ' disabled=' + !!(l.querySelector('[aria-disabled=true], .pf-m-disabled') || l.getAttribute('aria-disabled') === 'true')).join('\\n')"));
        Shot("ck-dir-kebab");
        Page.Evaluate("$id('pool-ck-dir-system-action-kebab').querySelector('button').click()");
        Page.WaitFor("!$id('pool-ck-dir-system-action-kebab').querySelector('li')", "the kebab closed");
    }

    private void CreatePoolDialogTexts()
    {
        OpenCreatePoolDialog();
        string[] types = Page.Evaluate("[...$id('storage-pool-dialog-type').options].map(o => o.value + ' = ' + o.text)")!
            .AsArray().Select(n => n!.GetValue<string>()).ToArray();
        Record("pool types offered", string.Join('\n', types));
        foreach (string type in types.Select(t => t.Split(' ')[0]))
        {
            Page.Evaluate($"$set($id('storage-pool-dialog-type'), {Str(type)})");
            Page.WaitFor($"$id('storage-pool-dialog-type').value === {Str(type)}", $"type {type} chosen");
            Record($"create pool dialog fields for {type}",
                Page.Text("[...$id('create-storage-pool-dialog').querySelectorAll('label')].map(l => l.textContent.trim()).filter(x => x).join('\\n')"));
            Shot($"create-pool-{type}");
        }
        Page.Evaluate("$btn('Cancel', $id('create-storage-pool-dialog')).click()");
        WaitForDialogClosed("create-storage-pool-dialog");
    }

    private void CreatePool(string name, string type, Dictionary<string, string> fields, bool autostart)
    {
        OpenCreatePoolDialog();
        Page.Evaluate($"$set($id('storage-pool-dialog-type'), {Str(type)})");
        Page.WaitFor($"$id('storage-pool-dialog-type').value === {Str(type)}", $"type {type} chosen");
        Page.Evaluate($"$set($id('storage-pool-dialog-name'), {Str(name)})");
        foreach (var (label, value) in fields)
        {
            string field = $"$field($id('create-storage-pool-dialog'), {Str(label)})";
            Page.Evaluate($"$set({field}, {Str(value)})");
            if (Page.Bool($"{field}.classList.contains('pf-c-select__toggle-typeahead')"))
                Page.WaitFor($"$pick({field}, {Str(value)})", $"{value} offered by the {label} list");
        }
        Page.Evaluate($"(() => {{ const c = $id('storage-pool-dialog-autostart'); if (c.checked !== {(autostart ? "true" : "false")}) c.click(); return c.checked; }})()");
        Shot($"create-pool-{name}-filled");
        Page.Evaluate("$btn('Create', $id('create-storage-pool-dialog')).click()");
        WaitForDialogClosed("create-storage-pool-dialog");
        Page.WaitFor($"!!$id({Str($"pool-{name}-system-name")})", $"{name} listed", Slow);
        // The page only defines: the new pool is inactive.
        Page.WaitFor($"$id({Str($"pool-{name}-system-state")}).innerText.trim() === 'inactive'", $"{name} inactive");
        Record($"{name} row after create", PoolRow(name));
        Shot($"{name}-created");
        Assert.Equal(("inactive", autostart ? "yes" : "no"), CliPools()[name]);
    }

    private void Activate(string pool)
    {
        Page.Evaluate($"$id({Str($"activate-pool-{pool}-system")}).click()");
        Page.WaitFor($"!!$id({Str($"deactivate-pool-{pool}-system")}) && $id({Str($"pool-{pool}-system-state")}).innerText.trim() === 'active'", $"{pool} active", Slow);
        Record($"{pool} row after activate", PoolRow(pool));
        Shot($"{pool}-activated");
        Assert.Equal("active", CliPools()[pool].State);
    }

    private void Deactivate(string pool)
    {
        Page.Evaluate($"$id({Str($"deactivate-pool-{pool}-system")}).click()");
        Page.WaitFor($"!!$id({Str($"activate-pool-{pool}-system")}) && $id({Str($"pool-{pool}-system-state")}).innerText.trim() === 'inactive'", $"{pool} inactive", Slow);
        Record($"{pool} row after deactivate", PoolRow(pool));
        Shot($"{pool}-deactivated");
        Assert.Equal("inactive", CliPools()[pool].State);
    }

    private void DeletePoolWithVolumes()
    {
        Activate("ck-new");
        ShowVolumes("ck-new", "junk.qcow2");
        OpenDeleteDialog("ck-new");
        Record("delete dialog of an active pool with volumes", Page.Text("$id('storage-pool-delete-modal').innerText"));
        Page.Evaluate("$id('storage-pool-delete-modal').querySelector('input[type=checkbox]').click()");
        Page.WaitFor("$id('storage-pool-delete-modal').querySelector('input[type=checkbox]').checked", "Also delete all volumes checked");
        Shot("ck-new-delete-with-volumes");
        Page.Evaluate("$btn('Delete', $id('storage-pool-delete-modal')).click()");
        Page.WaitFor("!$id('storage-pool-delete-modal') && !$id('pool-ck-new-system-name')", "ck-new gone", Slow);
        Record("pool list after deleting ck-new with its volumes", PoolRows());
        Assert.False(CliPools().ContainsKey("ck-new"));
        Assert.False(File.Exists($"{PoolsSeenFromOutside}/ck-new/junk.qcow2"), "the volume was left on disk");
    }

    private void DeletePoolKeepingVolumes()
    {
        Activate("ck-idle");
        CreateVolume("ck-idle", "keep.raw", "16", "MiB", "raw");
        OpenDeleteDialog("ck-idle");
        Record("delete dialog of an active pool, volumes kept", Page.Text("$id('storage-pool-delete-modal').innerText"));
        Page.Evaluate("$btn('Delete', $id('storage-pool-delete-modal')).click()");
        Page.WaitFor("!$id('storage-pool-delete-modal') && !$id('pool-ck-idle-system-name')", "ck-idle gone", Slow);
        Record("pool list after deleting ck-idle", PoolRows());
        Assert.False(CliPools().ContainsKey("ck-idle"));
        Assert.True(File.Exists($"{PoolsSeenFromOutside}/ck-idle/keep.raw"), "the volume was deleted with the pool");
    }

    private void DiskPool()
    {
        CreatePool("ck-disk", "disk", new() { ["Target path"] = "/dev", ["Source path"] = _loopDevice, ["Format"] = "gpt" }, autostart: false);
        Activate("ck-disk");
        Overview("ck-disk", "disk pool");
        string partition = LoopName + "p1";
        CreateVolume("ck-disk", partition, "64", "MiB", "linux");
        ToggleVolume("ck-disk", partition);
        Page.WaitFor("$id('storage-volumes-delete').textContent.trim() === 'Delete 1 volume' && !$id('storage-volumes-delete').disabled", "Delete 1 volume");
        Page.Evaluate("$id('storage-volumes-delete').click()");
        // libvirtd 9.0 cannot delete a loop device's partition (it runs `parted /dev/loopN rm p1`: it strips only the
        // device name from loopNp1): the page then shows its error. Either outcome is recorded and checked with the CLI.
        string gone = $"!$id({Str($"pool-ck-disk-system-volume-{partition}-name")})";
        string alert = "$row('ck-disk').nextElementSibling.querySelector('.pf-c-alert')";
        Page.WaitFor($"{gone} || !!{alert}", "the partition deleted or an error shown", Slow);
        if (Page.Bool(gone))
        {
            Record("deleting a partition of the disk pool", "deleted\n" + VolumeRows("ck-disk"));
            Assert.Empty(CliVolumes("ck-disk"));
        }
        else
        {
            Page.Evaluate($"(() => {{ const b = $btn('show more', {alert}); if (b) b.click(); return true; }})()");
            Page.WaitFor($"!$btn('show more', {alert})", "the error's details");
            Record("deleting a partition of the disk pool", "refused\n" + Page.Text($"$flat({alert}.innerText)"));
            Shot("ck-disk-partition-delete-refused");
            Assert.Equal([partition], CliVolumes("ck-disk"));
        }
        Deactivate("ck-disk");
        OpenDeleteDialog("ck-disk");
        Record("delete dialog of an inactive pool", Page.Text("$id('storage-pool-delete-modal').innerText"));
        Page.Evaluate("$btn('Delete', $id('storage-pool-delete-modal')).click()");
        Page.WaitFor("!$id('storage-pool-delete-modal') && !$id('pool-ck-disk-system-name')", "ck-disk gone", Slow);
        Assert.False(CliPools().ContainsKey("ck-disk"));
    }

    /// <summary>A type this machine cannot run (no NFS client, no iSCSI initiator, no device-mapper): defined, shown, deleted.</summary>
    private void DefinedOnly(string name, string type, Dictionary<string, string> fields)
    {
        CreatePool(name, type, fields, autostart: false);
        Overview(name, $"{type} pool");
        Collapse(name);
        OpenDeleteDialog(name);
        Page.Evaluate("$btn('Delete', $id('storage-pool-delete-modal')).click()");
        Page.WaitFor($"!$id('storage-pool-delete-modal') && !$id({Str($"pool-{name}-system-name")})", $"{name} gone", Slow);
        Assert.False(CliPools().ContainsKey(name));
    }

    // ---------------------------------------------------------------- page helpers

    private void Expand(string pool)
    {
        Page.WaitFor($"!!$row({Str(pool)})", $"{pool}'s row");
        Page.Evaluate($"(() => {{ const b = $row({Str(pool)}).querySelector('td.pf-c-table__toggle button'); if (b.getAttribute('aria-expanded') !== 'true') b.click(); return true; }})()");
        Page.WaitFor($"$row({Str(pool)}).nextElementSibling && $row({Str(pool)}).nextElementSibling.innerText.includes('Storage volumes')", $"{pool} expanded");
    }

    private void Collapse(string pool) =>
        Page.Evaluate($"(() => {{ const b = $row({Str(pool)}).querySelector('td.pf-c-table__toggle button'); if (b.getAttribute('aria-expanded') === 'true') b.click(); return true; }})()");

    /// <summary>Expands the pool and opens its volumes tab; waits for <paramref name="volume"/> when given.</summary>
    private void ShowVolumes(string pool, string? volume)
    {
        Expand(pool);
        Page.Evaluate($"$btn('Storage volumes', $row({Str(pool)}).nextElementSibling).click()");
        Page.WaitFor($"!!$id({Str(pool + "-system-create-volume-button")})", $"{pool}'s volumes tab");
        if (volume is not null) Page.WaitFor($"!!$id({Str($"pool-{pool}-system-volume-{volume}-name")})", $"{volume} listed", Slow);
    }

    private void ToggleVolume(string pool, string volume) =>
        Page.Evaluate($"$id({Str($"pool-{pool}-system-volume-{volume}-name")}).closest('tr').querySelector('input[type=checkbox]').click()");

    private void OpenKebab(string pool)
    {
        Page.Evaluate($"$id({Str($"pool-{pool}-system-action-kebab")}).querySelector('button').click()");
        Page.WaitFor($"!!$id({Str($"pool-{pool}-system-action-kebab")}).querySelector('li')", $"{pool}'s kebab menu");
    }

    private void OpenDeleteDialog(string pool)
    {
        OpenKebab(pool);
        Page.Evaluate($"$id({Str($"delete-pool-{pool}-system")}).click()");
        Page.WaitFor("!!$id('storage-pool-delete-modal')", $"{pool}'s delete dialog");
    }

    private void OpenCreatePoolDialog()
    {
        Page.WaitFor("!$id('create-storage-pool').disabled", "Create storage pool enabled", Slow);
        Page.Evaluate("$id('create-storage-pool').click()");
        Page.WaitFor("!!$id('create-storage-pool-dialog')", "the create pool dialog");
    }

    /// <summary>Waits for a dialog to close; an error it shows instead (a failed call, a field refused) fails the step with its text.</summary>
    private void WaitForDialogClosed(string id)
    {
        Page.WaitFor($"!$id({Str(id)}) || !!$id({Str(id)}).querySelector('.pf-c-alert, .pf-m-error')", $"{id} to close", Slow);
        if (Page.Bool($"!!$id({Str(id)})"))
            throw new InvalidOperationException($"{id} shows an error: " + Page.Text($"$flat($id({Str(id)}).innerText)"));
    }

    private string PoolRows() => Page.Text(
        "[...document.querySelectorAll('tr[data-row-id^=\"pool-\"]')].filter(r => /^pool-.*-system$/.test(r.dataset.rowId)).map(r => $flat(r.innerText)).join('\\n')");

    private string PoolRow(string pool) => Page.Text($"$flat($row({Str(pool)}).innerText)");

    private string VolumeRows(string pool) => Page.Text(
        $"[...$row({Str(pool)}).nextElementSibling.querySelectorAll('tbody tr')].map(r => $flat(r.innerText)).join('\\n')");

    private string PoolType(string pool) => CliPoolType(pool);

    private void Record(string step, string text)
    {
        // The two passes get different loop devices (and more so beside someone else's): the step's name is masked as
        // well as its text, so the two runs' steps pair up.
        text = text.Replace(_stack.Root, "<run>").Replace(LoopName, "<loop>");
        _texts.Add(new PageText(step.Replace(LoopName, "<loop>"), text));
    }

    private void Shot(string name) =>
        Page.Screenshot(Path.Combine(_artifacts, $"{++_shot:00}-{UnsafeFileChars().Replace(name, "-")}.png"));

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex UnsafeFileChars();

    // ---------------------------------------------------------------- what the daemon's CLI says

    /// <summary>`pool-list --all` as name → (state, autostart).</summary>
    private Dictionary<string, (string State, string Autostart)> CliPools()
    {
        var pools = new Dictionary<string, (string, string)>();
        foreach (string line in Daemon.CliChecked("pool-list", "--all").Split('\n').Skip(2))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 3) pools[f[0]] = (f[1], f[2]);
        }
        return pools;
    }

    private string[] CliVolumes(string pool) =>
        Daemon.CliChecked("vol-list", pool).Split('\n').Skip(2)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length >= 2).Select(f => f[0]).Order().ToArray();

    private string CliPoolType(string pool) =>
        Regex.Match(Daemon.CliChecked("pool-dumpxml", pool), "<pool type='([a-z-]+)'").Groups[1].Value;
}

public sealed class StepFailedException(string daemon, string step, Exception inner)
    : Exception($"[{daemon}] step '{step}' failed: {inner.Message}", inner);
