using KvmStor.Cli;
using KvmStor.Tests.Guests;

namespace KvmStor.Tests.Cli;

/// <summary>The guest commands in-process, over a temp connection with a dir pool "images" (data.raw, disk.qcow2).</summary>
public sealed class GuestCommandTests : IDisposable
{
    private readonly GuestHostFixture _f = new();
    private readonly Dictionary<string, string> _env = new();
    private Action<string, IReadOnlyDictionary<string, string>> _editor = (_, _) => throw new InvalidOperationException("no editor expected");

    public void Dispose() => _f.Dispose();

    private CliResult Run(params string[] args) => CliRunner.Run(new CliServices
    {
        OpenHost = _ => _f.Host,
        Environment = new Dictionary<string, string>(_env) { ["TMPDIR"] = _f.State.Root },
        RunEditor = (file, env) => _editor(file, env),
    }, args);

    private string WriteFile(string name, string text)
    {
        string path = Path.Combine(_f.State.Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private void DefineRich() => Assert.Equal(0, Run("define", WriteFile("rich.xml", GuestSamples.Rich)).ExitCode);

    [Fact]
    public void DefineListDumpxmlUndefine()
    {
        string file = WriteFile("rich.xml", GuestSamples.Rich);
        var defined = Run("define", file);
        Assert.Equal(($"Domain 'rich' defined from {file}\n\n", ""), (defined.Stdout, defined.Stderr));

        Assert.Equal(" Id   Name   State\n-----------------------\n -    rich   shut off\n\n", Run("list", "--all").Stdout);
        Assert.Equal(" Id   Name   State\n--------------------\n\n", Run("list").Stdout);
        Assert.Equal("rich\n\n", Run("list", "--all", "--name").Stdout);
        Assert.Equal("0d3f0e9e-3bd5-4b43-9d0a-3f2c1f1c1a11\n\n", Run("list", "--inactive", "--uuid").Stdout);

        Assert.Equal(File.ReadAllText(_f.GuestFile("rich")) + "\n", Run("dumpxml", "rich").Stdout);
        Assert.Equal("<name>rich</name>\n\n", Run("dumpxml", "--domain", "0d3f0e9e-3bd5-4b43-9d0a-3f2c1f1c1a11", "--xpath", "/domain/name").Stdout);

        var undefined = Run("undefine", "rich");
        Assert.Equal(("Domain 'rich' has been undefined\n\n", 0), (undefined.Stdout, undefined.ExitCode));
        var gone = Run("dumpxml", "rich");
        Assert.Equal((1, "error: failed to get domain 'rich'\n"), (gone.ExitCode, gone.Stderr));
    }

    [Fact]
    public void DefineOfMalformedXmlFailsWithVirshsTwoLines()
    {
        var result = Run("define", WriteFile("bad.xml", "<domain type='kvm'><name>x</name>"));
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: Failed to define domain from {Path.Combine(_f.State.Root, "bad.xml")}\nerror: (domain_definition):1: ", result.Stderr);
        Assert.False(Directory.Exists(_f.GuestDirectory) && Directory.EnumerateFiles(_f.GuestDirectory).Any());
    }

    [Fact]
    public void AttachDomblklistDetach()
    {
        DefineRich();
        var attached = Run("attach-disk", "rich", "--pool", "images", "--vol", "disk.qcow2");
        Assert.Equal(("Disk attached successfully\n\n", 0), (attached.Stdout, attached.ExitCode));
        Assert.Equal(0, Run("attach-disk", "rich", "/srv/cd.iso", "hdc", "--type", "cdrom", "--mode", "readonly", "--config").ExitCode);

        Assert.Equal("""
             Target   Source
            --------------------------------------
             vda      /var/lib/images/rich.qcow2
             vdb      disk.qcow2
             hdc      /srv/cd.iso


            """, Run("domblklist", "rich").Stdout);
        Assert.Equal("""
             Type     Device   Target   Source
            --------------------------------------------------------
             file     disk     vda      /var/lib/images/rich.qcow2
             volume   disk     vdb      disk.qcow2
             file     cdrom    hdc      /srv/cd.iso


            """, Run("domblklist", "rich", "--details").Stdout);

        var detached = Run("detach-disk", "rich", "vdb", "--persistent");
        Assert.Equal(("Disk detached successfully\n\n", 0), (detached.Stdout, detached.ExitCode));
        Assert.Equal(0, Run("detach-disk", "rich", "/srv/cd.iso").ExitCode);
        Assert.Equal(GuestSamples.Rich.Replace('"', '\''), File.ReadAllText(_f.GuestFile("rich")));

        var missing = Run("detach-disk", "rich", "vdq");
        Assert.Equal((1, "error: No disk found whose source path or target is vdq\n"), (missing.ExitCode, missing.Stderr));
    }

    [Fact]
    public void AttachPrintXmlChangesNothing()
    {
        DefineRich();
        string before = File.ReadAllText(_f.GuestFile("rich"));
        var printed = Run("attach-disk", "--domain", "rich", "--source", "/dev/null", "--target", "sdb", "--targetbus", "scsi",
            "--driver", "qemu", "--subdriver", "raw", "--cache", "directsync", "--io", "io_uring", "--iothread", "2", "--type", "lun",
            "--mode", "shareable", "--sourcetype", "block", "--serial", "X1", "--wwn", "5000c50015ea71ac", "--print-xml");
        Assert.Equal("""
            <disk type='block' device='lun'>
              <driver name='qemu' type='raw' cache='directsync' io='io_uring' iothread='2'/>
              <source dev='/dev/null'/>
              <target dev='sdb' bus='scsi'/>
              <shareable/>
              <serial>X1</serial>
              <wwn>5000c50015ea71ac</wwn>
            </disk>


            """, printed.Stdout);
        Assert.Equal(before, File.ReadAllText(_f.GuestFile("rich")));
        Assert.Equal("<disk type='file' device='disk'>\n  <driver name='qemu' type='qcow2' discard='unmap'/>\n  <source file='/var/lib/images/rich.qcow2'/>\n"
            + "  <target dev='vda' bus='virtio'/>\n  <boot order='1'/>\n  <future-element x='1'/>\n</disk>\n\n",
            Run("detach-disk", "rich", "vda", "--print-xml").Stdout);
        Assert.Equal(before, File.ReadAllText(_f.GuestFile("rich")));
    }

    [Theory]
    [InlineData(new[] { "attach-disk", "rich", "--pool", "nopool", "--vol", "x" }, "error: Failed to attach disk\nerror: Storage pool not found: no storage pool with matching name 'nopool'\n")]
    [InlineData(new[] { "attach-disk", "rich", "/a", "vda" }, "error: Failed to attach disk\nerror: Requested operation is not valid: target vda already exists\n")]
    [InlineData(new[] { "attach-disk", "rich", "/a", "--type", "cdrom", "--targetbus", "virtio" }, "error: Failed to attach disk\nerror: unsupported configuration: disk type 'virtio' of 'vdb' does not support ejectable media\n")]
    [InlineData(new[] { "attach-disk", "rich", "/a", "--live" }, "error: Failed to attach disk\nerror: Requested operation is not valid: domain is not running\n")]
    [InlineData(new[] { "attach-disk", "rich", "/a", "--current", "--config" }, "error: Options --current and --config are mutually exclusive\n")]
    [InlineData(new[] { "attach-disk", "rich", "/a", "--pool", "images", "--vol", "data.raw" }, "error: Options --source and --pool are mutually exclusive\n")]
    [InlineData(new[] { "attach-disk", "ghost", "/a" }, "error: failed to get domain 'ghost'\n")]
    [InlineData(new[] { "domblklist", "ghost" }, "error: failed to get domain 'ghost'\n")]
    public void BadAttachesFailAndLeaveTheFile(string[] args, string stderr)
    {
        DefineRich();
        string before = File.ReadAllText(_f.GuestFile("rich"));
        var result = Run(args);
        Assert.Equal((1, stderr), (result.ExitCode, result.Stderr));
        Assert.Equal(before, File.ReadAllText(_f.GuestFile("rich")));
    }

    [Fact]
    public void VolAttachInfoTableAndJson()
    {
        DefineRich();
        Run("attach-disk", "rich", "--pool", "images", "--vol", "data.raw");
        Assert.Equal(" Domain   Target\n------------------\n rich     vdb\n\n", Run("vol-attach-info", "data.raw", "--pool", "images").Stdout);
        Assert.Equal(" Domain   Target\n------------------\n\n", Run("vol-attach-info", Path.Combine(_f.PoolPath, "disk.qcow2")).Stdout);
        Assert.Equal("[\n  {\n    \"domain\": \"rich\",\n    \"target\": \"vdb\",\n    \"pool\": \"images\",\n    \"volume\": \"data.raw\"\n  }\n]\n\n",
            Run("vol-attach-info", "--pool", "images", "data.raw", "--json").Stdout);
    }

    [Fact]
    public void DomxmlToNativePrintsOneShellLine()
    {
        DefineRich();
        Run("attach-disk", "rich", "--pool", "images", "--vol", "disk.qcow2");
        var result = Run("domxml-to-native", "qemu-argv", "--domain", "rich");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("/usr/bin/qemu-system-x86_64 -name guest=rich -machine pc -accel kvm -m 256 -smp 2 ", result.Stdout);
        Assert.Contains(" -append 'console=ttyS0 quiet' ", result.Stdout);
        Assert.Contains($" -blockdev driver=file,filename={_f.PoolPath}/disk.qcow2,node-name=disk1-storage,discard=unmap -blockdev driver=qcow2,node-name=disk1-format,file=disk1-storage,discard=unmap -device virtio-blk-pci,drive=disk1-format,id=disk1\n", result.Stdout);

        var fromFile = Run("domxml-to-native", "qemu-argv", WriteFile("g.xml", GuestSamples.Minimal));
        Assert.Equal("qemu-system-x86_64 -name guest=mini -machine pc -accel kvm -m 128 -smp 1 -nodefaults -no-user-config -display none -no-reboot -serial stdio\n\n", fromFile.Stdout);

        var wrongFormat = Run("domxml-to-native", "xen-xm", "--domain", "rich");
        Assert.Equal("error: Failed to convert domain XML\nerror: invalid argument: unsupported config type xen-xm\n", wrongFormat.Stderr);
    }

    [Fact]
    public void EditDefinesTheChangedTextAndRefusesBrokenXml()
    {
        DefineRich();
        _editor = (file, _) => File.WriteAllText(file, File.ReadAllText(file).Replace("<vcpu placement='static'>2</vcpu>", "<vcpu placement='static'>4</vcpu>"));
        Assert.Equal("Domain 'rich' XML configuration edited.\n\n", Run("edit", "rich").Stdout);
        Assert.Contains("<vcpu placement='static'>4</vcpu>", File.ReadAllText(_f.GuestFile("rich")));

        _editor = (_, _) => { };
        Assert.Equal("Domain 'rich' XML configuration not changed.\n\n", Run("edit", "rich").Stdout);

        string before = File.ReadAllText(_f.GuestFile("rich"));
        _editor = (file, _) => File.WriteAllText(file, "<domain type='kvm'><name>rich");
        var broken = Run("edit", "rich");
        Assert.Equal(1, broken.ExitCode);
        Assert.StartsWith("error: Failed.\nerror: (domain_definition):1: ", broken.Stderr);
        Assert.Equal(before, File.ReadAllText(_f.GuestFile("rich")));
    }

    [Fact]
    public void KvmstorGuestDirPointsAtAnotherHostsDefinitions()
    {
        string libvirtDir = Path.Combine(_f.State.Root, "libvirt-qemu");
        Directory.CreateDirectory(libvirtDir);
        File.WriteAllText(Path.Combine(libvirtDir, "rich.xml"), GuestSamples.Rich);
        _env["KVMSTOR_GUEST_DIR"] = libvirtDir;
        Assert.Equal(" Id   Name   State\n-----------------------\n -    rich   shut off\n\n", Run("list", "--all").Stdout);
        Assert.Equal(0, Run("attach-disk", "rich", "--pool", "images", "--vol", "data.raw").ExitCode);
        Assert.Contains("volume='data.raw'", File.ReadAllText(Path.Combine(libvirtDir, "rich.xml")));
    }
}
