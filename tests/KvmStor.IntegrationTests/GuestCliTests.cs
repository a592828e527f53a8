namespace KvmStor.IntegrationTests;

/// <summary>The guest commands end to end through the real kvmstor binary, in a temp session state.</summary>
public sealed class GuestCliTests : IDisposable
{
    private readonly KvmstorProcess _k = new();

    private const string Rich = """
        <!-- written by another tool -->
        <domain type="kvm" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">
          <name>web</name>
          <metadata>
            <my:tag xmlns:my="urn:example:my">keep me</my:tag>
          </metadata>
          <memory unit="MiB">64</memory>
          <devices>
            <!-- no disks yet -->
            <console type="pty"/>
          </devices>
          <qemu:commandline><qemu:arg value="-S"/></qemu:commandline>
        </domain>

        """;

    public void Dispose() => _k.Dispose();

    private string GuestFile => Path.Combine(_k.Root, "xdg-config", "kvmstor", "qemu", "web.xml");

    private string Write(string name, string text)
    {
        string path = Path.Combine(_k.Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    private void Expect(string stdout, string stderr, int exitCode, params string[] args)
    {
        var (code, o, e) = _k.Run(args);
        Assert.Equal(stderr, e);
        Assert.Equal(stdout, o);
        Assert.Equal(exitCode, code);
    }

    [Fact]
    public void A_definition_survives_attach_and_detach_byte_for_byte()
    {
        string file = Write("web.xml", Rich);
        Expect($"Domain 'web' defined from {file}\n\n", "", 0, "define", file);
        string defined = File.ReadAllText(GuestFile);
        Assert.Contains("<!-- written by another tool -->", defined);
        Assert.Contains("<my:tag xmlns:my='urn:example:my'>keep me</my:tag>", defined);
        Assert.Matches("  <name>web</name>\n  <uuid>[0-9a-f-]{36}</uuid>\n", defined);

        string image = Write("a.img", "");
        Expect("Disk attached successfully\n\n", "", 0, "attach-disk", "web", image, "--serial", "A1");
        Expect("Disk attached successfully\n\n", "", 0, "attach-disk", "web", "--source", Write("b.iso", ""), "--type", "cdrom", "--targetbus", "sata", "--config");
        Expect($" Type   Device   Target   Source\n{new string('-', 7 + 9 + 9 + 3 + Math.Max(Path.Combine(_k.Root, "b.iso").Length, image.Length))}\n file   disk     vda      {image}\n file   cdrom    sda      {Path.Combine(_k.Root, "b.iso")}\n\n",
            "", 0, "domblklist", "web", "--details");
        Assert.Contains("    <console type='pty'/>\n    <disk type='file' device='disk'>\n      <source file='" + image + "'/>\n      <target dev='vda' bus='virtio'/>\n      <serial>A1</serial>\n    </disk>\n",
            File.ReadAllText(GuestFile));

        Expect("Disk detached successfully\n\n", "", 0, "detach-disk", "web", "vda");
        Expect("Disk detached successfully\n\n", "", 0, "detach-disk", "web", "sda");
        Assert.Equal(defined, File.ReadAllText(GuestFile));
        Expect(defined + "\n", "", 0, "dumpxml", "web");
    }

    [Fact]
    public void Bad_input_is_one_clear_error_and_nothing_written()
    {
        Expect("\n", $"error: Failed to define domain from {Path.Combine(_k.Root, "bad.xml")}\nerror: (domain_definition):1: Unexpected end of file has occurred. The following elements are not closed: domain\n", 1,
            "define", Write("bad.xml", "<domain type='kvm'>"));
        Expect("\n", "error: failed to get domain 'nobody'\n", 1, "attach-disk", "nobody", "/x");
        _k.Run("define", Write("web.xml", Rich));
        string before = File.ReadAllText(GuestFile);
        Expect("\n", "error: Failed to attach disk\nerror: Storage pool not found: no storage pool with matching name 'nopool'\n", 1,
            "attach-disk", "web", "--pool", "nopool", "--vol", "v");
        Expect("\n", "error: Failed to attach disk\nerror: unsupported configuration: disk device='lun' is not supported for bus='sata'\n", 1,
            "attach-disk", "web", "/dev/null", "--type", "lun", "--targetbus", "sata");
        _k.Run("attach-disk", "web", "/x", "vdb");
        string withDisk = File.ReadAllText(GuestFile);
        Expect("\n", "error: Failed to attach disk\nerror: Requested operation is not valid: target vdb already exists\n", 1, "attach-disk", "web", "/y", "vdb");
        Assert.Equal(withDisk, File.ReadAllText(GuestFile));
        Assert.NotEqual(before, withDisk);
    }

    [Fact]
    public void List_and_undefine_and_native_argv()
    {
        _k.Run("define", Write("web.xml", Rich));
        Expect(" Id   Name   State\n-----------------------\n -    web    shut off\n\n", "", 0, "list", "--all");
        _k.Run("attach-disk", "web", "/img/x.qcow2", "--subdriver", "qcow2", "--cache", "none");
        var (code, stdout, stderr) = _k.Run("domxml-to-native", "qemu-argv", "--domain", "web");
        Assert.Equal((0, ""), (code, stderr));
        Assert.Equal("qemu-system-x86_64 -name guest=web -machine pc -accel kvm -m 64 -smp 1 -nodefaults -no-user-config -display none -no-reboot -serial stdio "
            + "-blockdev driver=file,filename=/img/x.qcow2,node-name=disk0-storage,cache.direct=on,cache.no-flush=off,discard=unmap "
            + "-blockdev driver=qcow2,node-name=disk0-format,file=disk0-storage,cache.direct=on,cache.no-flush=off,discard=unmap "
            + "-device virtio-blk-pci,drive=disk0-format,id=disk0,write-cache=on\n\n", stdout);
        Expect("Domain 'web' has been undefined\n\n", "", 0, "undefine", "web");
        Assert.False(File.Exists(GuestFile));
        Expect(" Id   Name   State\n--------------------\n\n", "", 0, "list", "--all");
    }

    [Fact]
    public void Concurrent_attaches_from_many_processes_all_land()
    {
        _k.Run("define", Write("web.xml", Rich));
        var processes = Enumerable.Range(0, 8)
            .Select(i => _k.StartProcess("attach-disk", "web", $"/img/d{i}.img", "vd" + (char)('b' + i)))
            .ToList();
        foreach (var p in processes)
        {
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            p.Dispose();
        }
        var (_, stdout, _) = _k.Run("domblklist", "web");
        for (int i = 0; i < 8; i++) Assert.Contains($" vd{(char)('b' + i)}      /img/d{i}.img\n", stdout);
        Assert.Contains("<my:tag xmlns:my='urn:example:my'>keep me</my:tag>", File.ReadAllText(GuestFile));
    }
}
