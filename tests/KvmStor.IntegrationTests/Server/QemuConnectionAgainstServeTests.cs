namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// `kvmstor serve` answering as qemu:///system and qemu:///session, as Cockpit's Virtual machines → Storage pools page
/// reaches it (libvirt-dbus, and the virsh pool-capabilities it spawns): python3-libvirt on the fixture's socket, then
/// virsh and the real libvirt-dbus on libvirtd's own socket path in a private mount namespace (--libvirtd-sockets).
/// </summary>
public sealed class QemuConnectionAgainstServeTests : IDisposable
{
    private readonly ServeFixture _f = new();

    public void Dispose() => _f.Dispose();

    private string PoolPath(string name) => Path.Combine(_f.Kvmstor.Root, "pools", name);

    /// <summary>Pools cp (with a qcow2 volume) and gone, and guest vm1 whose disk is cp's volume, all made with the CLI.</summary>
    private void DefineWithCli()
    {
        void Cli(params string[] args)
        {
            var (code, _, stderr) = _f.Kvmstor.Run(args);
            Assert.True(code == 0, $"kvmstor {string.Join(' ', args)}: {stderr}");
        }
        Cli("pool-define-as", "cp", "dir", "--target", PoolPath("cp"));
        Cli("pool-build", "cp");
        Cli("pool-start", "cp");
        Cli("vol-create-as", "cp", "disk.qcow2", "64M", "--format", "qcow2");
        Cli("pool-define-as", "gone", "dir", "--target", PoolPath("gone"));
        string guest = Path.Combine(_f.Kvmstor.Root, "vm1.xml");
        File.WriteAllText(guest, "<domain type='kvm'><name>vm1</name><memory unit='MiB'>256</memory><vcpu>2</vcpu>"
                                 + "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices></devices></domain>\n");
        Cli("define", guest);
        Cli("attach-disk", "vm1", "--pool", "cp", "--vol", "disk.qcow2");
    }

    [Fact]
    public void Python_on_qemu_system_sees_guests_as_shut_off_domains_the_host_and_pool_events_of_cli_actions()
    {
        DefineWithCli();
        string environment = string.Join(", ", _f.Kvmstor.Environment.Select(kv => $"'{kv.Key}': '{kv.Value}'"));
        string script = $$"""
import libvirt, os, subprocess, sys, threading
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
out = []
def say(*a): out.append(' '.join(str(x) for x in a))
def cli(*args):
    r = subprocess.run(['{{KvmstorProcess.Binary}}', *args], env=dict(os.environ, **{ {{environment}} }), capture_output=True, text=True)
    if r.returncode: sys.exit('kvmstor %s: %s' % (' '.join(args), r.stderr))
c = libvirt.open('qemu+unix:///system?socket={{_f.Socket}}')
say('conn', c.getType(), c.getLibVersion(), c.getURI())

doms = c.listAllDomains(0)
say('domains', [d.name() for d in doms], [d.ID() for d in doms])
d = c.lookupByName('vm1')
say('lookups', c.lookupByUUIDString(d.UUIDString()).name() == 'vm1', doms[0].UUIDString() == d.UUIDString())
say('state', d.state(0), d.isActive(), d.isPersistent(), d.autostart(), d.OSType(), d.maxMemory())
say('info', d.info())
say('disk', "<source pool='cp' volume='disk.qcow2'/>" in d.XMLDesc(0), d.XMLDesc(0) == d.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE))
say('filters', len(c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)), len(c.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_SHUTOFF | libvirt.VIR_CONNECT_LIST_DOMAINS_PERSISTENT)))
say('snapshots', d.listAllSnapshots(0), d.hasManagedSaveImage(0))
try:
    d.create()
except libvirt.libvirtError as e:
    say('start', e.get_error_code(), e.get_error_domain(), e)
try:
    c.lookupByName('nosuch')
except libvirt.libvirtError as e:
    say('nodomain', e.get_error_code(), e)

say('empty', c.listAllNetworks(0), c.listAllInterfaces(0), c.listAllDevices(0))
stats = c.getMemoryStats(libvirt.VIR_NODE_MEMORY_STATS_ALL_CELLS, 0)
meminfo = dict((l.split()[0].rstrip(':'), int(l.split()[1])) for l in open('/proc/meminfo'))
say('memory', sorted(stats), stats['total'] == meminfo['MemTotal'], 0 < stats['free'] <= stats['total'])
info = c.getInfo()
say('node', info[0] == os.uname().machine, info[1] == meminfo['MemTotal'] // 1024, info[2] == os.cpu_count(), info[4] * info[5] * info[6] * info[7] == info[2])
caps = c.getDomainCapabilities(None, 'x86_64', 'pc', 'kvm', 0)
say('domcaps', '<domainCapabilities>' in caps, '<value>virtio</value>' in caps)

ids = [c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lambda *a: None, None),
       c.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, lambda *a: None, None),
       c.nodeDeviceEventRegisterAny(None, libvirt.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE, lambda *a: None, None),
       c.secretEventRegisterAny(None, libvirt.VIR_SECRET_EVENT_ID_LIFECYCLE, lambda *a: None, None)]
say('callbacks', len(set(ids)))
c.domainEventDeregisterAny(ids[0]); c.networkEventDeregisterAny(ids[1]); c.nodeDeviceEventDeregisterAny(ids[2]); c.secretEventDeregisterAny(ids[3])

events = []
seen = threading.Condition()
def record(item):
    with seen:
        events.append(item)
        seen.notify_all()
c.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, lambda conn, p, ev, detail, o: record((p.name(), ev)), None)
c.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH, lambda conn, p, o: record((p.name(), 'refresh')), None)
def expect(item):
    with seen:
        say('event', item, seen.wait_for(lambda: item in events, timeout=30))

p = c.storagePoolLookupByName('cp')
p.refresh(0)
expect(('cp', 'refresh'))
with seen:
    events.clear()
cli('pool-refresh', 'cp')
expect(('cp', 'refresh'))
capacity, allocation = p.info()[1], p.info()[2]
cli('pool-destroy', 'cp')
expect(('cp', libvirt.VIR_STORAGE_POOL_EVENT_STOPPED))
xml = p.XMLDesc(0)
say('last sizes', p.isActive(), p.info(), "<capacity unit='bytes'>%d</capacity>" % capacity in xml, "<allocation unit='bytes'>%d</allocation>" % allocation in xml, capacity > 0)
cli('pool-start', 'cp')
expect(('cp', libvirt.VIR_STORAGE_POOL_EVENT_STARTED))

gone = c.storagePoolLookupByName('gone')
uuid = gone.UUIDString()
cli('pool-undefine', 'gone')
expect(('gone', libvirt.VIR_STORAGE_POOL_EVENT_UNDEFINED))
for call in (gone.isActive, lambda: c.storagePoolLookupByUUIDString(uuid)):
    try:
        call()
    except libvirt.libvirtError as e:
        say('deleted', e.get_error_code(), e.get_error_domain(), str(e).replace(uuid, 'UUID'))
c.close()

s = libvirt.open('qemu+unix:///session?socket={{_f.Socket}}')
say('session', s.getURI(), '<storagepoolCapabilities>' in s.getStoragePoolCapabilities(0), [d.name() for d in s.listAllDomains(0)])
s.close()
print('\n'.join(out))
""";
        var (code, stdout, stderr) = _f.Python(script);
        Assert.True(code == 0, stderr);
        Assert.Equal(string.Join("\n",
            $"conn QEMU 9000000 qemu+unix:///system?socket={_f.Socket}",
            "domains ['vm1'] [-1]",
            "lookups True True",
            "state [5, 0] 0 1 0 hvm 262144",
            "info [5, 262144, 262144, 2, 0]",
            "disk True True",
            "filters 0 1",
            "snapshots [] 0",
            "start 84 10 Operation not supported: kvmstor does not run guests: domain 'vm1' is a definition only; start it with qemu (kvmstor domxml-to-native qemu-argv --domain vm1) or with libvirt",
            "nodomain 42 Domain not found: no domain with matching name 'nosuch'",
            "empty [] [] []",
            "memory ['buffers', 'cached', 'free', 'total'] True True",
            "node True True True True",
            "domcaps True True",
            "callbacks 4",
            "event ('cp', 'refresh') True",
            "event ('cp', 'refresh') True",
            "event ('cp', 3) True",
            "last sizes 0 [0, 0, 0, 0] True True True",
            "event ('cp', 2) True",
            "event ('gone', 1) True",
            "deleted 49 18 Storage pool not found: no storage pool with matching uuid 'UUID' (gone)",
            "deleted 49 18 Storage pool not found: no storage pool with matching uuid 'UUID'",
            "session qemu+unix:///session?socket=" + _f.Socket + " True ['vm1']",
            ""), stdout);
    }

    /// <summary>
    /// In a private mount namespace with its own /run/libvirt and /run/dbus: `kvmstor serve --libvirtd-sockets`, then
    /// virsh's default qemu:///system and qemu:///session (which find libvirtd's socket by themselves) and the real
    /// libvirt-dbus on a private system bus, called as Cockpit calls it.
    /// </summary>
    [Fact]
    public void Libvirtd_sockets_serve_virsh_and_libvirt_dbus_at_libvirtds_paths()
    {
        DefineWithCli();
        string busConfig = Path.Combine(_f.Kvmstor.Root, "system-bus.conf");
        File.WriteAllText(busConfig, """
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <include>/usr/share/dbus-1/system.conf</include>
  <policy user="root"><allow own="org.libvirt"/></policy>
</busconfig>
""");
        string script = $$"""
set -e
# Whatever fails, every daemon started here is stopped by its pid (and none keeps the test's pipes open).
server= bus= dbus=
trap 'kill -TERM $dbus $bus $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
mount -t tmpfs -o mode=0755 tmpfs /run/libvirt
mount -t tmpfs -o mode=0755 tmpfs /run/dbus
"$KVMSTOR" serve --libvirtd-sockets --timeout 60 >/dev/null 2>&1 &
server=$!
for i in $(seq 100); do [ -S /run/libvirt/libvirt-sock-ro ] && break; sleep 0.1; done
stat -c '%n %a' /run/libvirt/libvirt-sock /run/libvirt/libvirt-sock-ro
export LC_ALL=C
virsh -c qemu:///system list --all | sed 's/ *$//'
virsh -c qemu:///session pool-capabilities | grep -c "<pool type='dir' supported='yes'>"
virsh -c qemu:///system start vm1 2>&1 | sed '/^$/d' || true
bus=$(dbus-daemon --config-file={{busConfig}} --fork --print-pid 2>/dev/null)
/usr/sbin/libvirt-dbus --system </dev/null >/dev/null 2>&1 &
dbus=$!
for i in $(seq 100); do busctl --system status org.libvirt >/dev/null 2>&1 && break; sleep 0.1; done
busctl --system call org.libvirt /org/libvirt/QEMU org.libvirt.Connect ListStoragePools u 0
busctl --system call org.libvirt /org/libvirt/QEMU org.libvirt.Connect ListDomains u 0
busctl --system get-property org.libvirt /org/libvirt/QEMU org.libvirt.Connect LibVersion
busctl --system call org.libvirt /org/libvirt/QEMU org.libvirt.Connect ListNetworks u 0
busctl --system call org.libvirt /org/libvirt/QEMU org.libvirt.Connect ListInterfaces u 0
busctl --system call org.libvirt /org/libvirt/QEMU org.libvirt.Connect ListNodeDevices u 0
busctl --system call org.libvirt /org/libvirt/QEMU org.libvirt.Connect NodeGetMemoryStats iu -- -1 0 | grep -o '"total" [0-9]*' | sed 's/[0-9]*$/N/'
domain=$(busctl --system call org.libvirt /org/libvirt/QEMU org.libvirt.Connect ListDomains u 0 | grep -o '"/[^"]*"' | tr -d '"')
busctl --system call org.libvirt "$domain" org.libvirt.Domain GetState u 0
busctl --system call org.libvirt "$domain" org.libvirt.Domain GetXMLDesc u 0 | grep -o "<source pool=.'cp.' volume=.'disk.qcow2.'/>"
busctl --system call org.libvirt "$domain" org.freedesktop.DBus.Properties GetAll s org.libvirt.Domain
busctl --system call org.libvirt "$domain" org.libvirt.Domain Create u 0 2>&1 || true
kill -TERM $dbus $bus
wait $dbus || true
kill -TERM $server
wait $server
server= bus= dbus=
""";
        using var p = _f.Kvmstor.StartScript(
            $"exec unshare --mount --propagation private bash -c {Shell.Quote(ForeignMounts.DropCommand(_f.Kvmstor.Root) + "\n" + script)}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(90)), "the namespace script did not finish");
        Assert.True(p.ExitCode == 0, stderr.Result + stdout.Result);
        var lines = stdout.Result.Split('\n');
        Assert.Equal("""
/run/libvirt/libvirt-sock 600
/run/libvirt/libvirt-sock-ro 666
 Id   Name   State
-----------------------
 -    vm1    shut off

1
error: Failed to start domain 'vm1'
error: Operation not supported: kvmstor does not run guests: domain 'vm1' is a definition only; start it with qemu (kvmstor domxml-to-native qemu-argv --domain vm1) or with libvirt
""", string.Join('\n', lines.Take(9)));
        string rest = string.Join('\n', lines.Skip(9));
        Assert.Matches(@"^ao 2 ""/org/libvirt/QEMU/storagepool/_[0-9a-f_]+"" ""/org/libvirt/QEMU/storagepool/_[0-9a-f_]+""\n"
                       + @"ao 1 ""/org/libvirt/QEMU/domain/_[0-9a-f_]+""\n"
                       + @"t 9000000\n"
                       + @"ao 0\nao 0\nao 0\n"
                       + @"""total"" N\n"
                       + @"\(ii\) 5 0\n"
                       + @"<source pool=\\'cp\\' volume=\\'disk.qcow2\\'/>\n"
                       + @"a\{sv\} 8 ""Active"" v b false ""Autostart"" v b false ""Id"" v u 0 ""Name"" v s ""vm1"" ""OSType"" v s ""hvm"" ""Persistent"" v b true ""Updated"" v b false ""UUID"" v s ""[0-9a-f-]{36}""\n"
                       + @"Call failed: Operation not supported: kvmstor does not run guests: domain 'vm1' is a definition only; start it with qemu \(kvmstor domxml-to-native qemu-argv --domain vm1\) or with libvirt\n$", rest);
    }
}
