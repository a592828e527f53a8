namespace KvmStor.IntegrationTests.Server;

/// <summary>python3-libvirt (Debian's, under /usr/bin/python3) calling the storage and secret API through `kvmstor serve`.</summary>
public sealed class PythonLibvirtAgainstServeTests : IDisposable
{
    private readonly ServeFixture _f = new();

    public void Dispose() => _f.Dispose();

    [Fact]
    public void The_pool_volume_and_secret_api_give_the_engines_answers()
    {
        string pool = Path.Combine(_f.Kvmstor.Root, "pools", "py");
        string script = $$"""
import libvirt, sys
c = libvirt.open('{{_f.Uri}}')
out = []
def say(*a): out.append(' '.join(str(x) for x in a))
say('type', c.getType(), c.getLibVersion(), c.isSecure(), c.isEncrypted(), c.isAlive())
p = c.storagePoolDefineXML("<pool type='dir'><name>py</name><target><path>{{pool}}</path></target></pool>", 0)
p.build(0); p.create(0)
say('pool', p.name(), p.isActive(), p.isPersistent(), p.autostart(), p.info()[0])
say('lookups', c.storagePoolLookupByUUIDString(p.UUIDString()).name(), c.storagePoolLookupByTargetPath('{{pool}}').name())
say('counts', c.numOfStoragePools(), c.numOfDefinedStoragePools(), c.listStoragePools(), c.listDefinedStoragePools())
say('listall', [x.name() for x in c.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE | libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_DIR)])
v = p.createXML("<volume><name>v.img</name><capacity unit='KiB'>512</capacity></volume>", 0)
say('vol', v.name(), v.key() == v.path(), v.info())
say('vollookups', c.storageVolLookupByKey(v.key()).name(), c.storageVolLookupByPath(v.path()).name(), v.storagePoolLookupByVolume().name())
say('vols', p.numOfVolumes(), p.listVolumes(), [x.name() for x in p.listAllVolumes(0)])
v.resize(1024*1024, 0)
say('resized', v.info()[1], v.infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2])
w = p.createXMLFrom("<volume><name>w.img</name><capacity>0</capacity></volume>", v, 0)
say('clone', w.name(), w.info()[1])
w.wipePattern(libvirt.VIR_STORAGE_VOL_WIPE_ALG_ZERO, 0)
st = c.newStream(0)
v.upload(st, 0, 0, 0)
st.send(b'kvmstor' * 1000)
st.finish()
st = c.newStream(0)
v.download(st, 0, 7000, 0)
got = b''
while True:
    d = st.recv(65536)
    if not d: break
    got += d
st.finish()
say('stream', got == b'kvmstor' * 1000)
try:
    p.refresh(1)
except libvirt.libvirtError as e:
    say('flags', e.get_error_code(), e.get_error_domain(), e)
try:
    c.storagePoolLookupByName('nosuch')
except libvirt.libvirtError as e:
    say('nopool', e.get_error_code(), e.get_error_domain(), e)
s = c.secretDefineXML("<secret ephemeral='no' private='yes'><usage type='volume'><volume>/x/y</volume></usage></secret>", 0)
s.setValue(b'hush', 0)
try:
    s.value(0)
except libvirt.libvirtError as e:
    say('private', e.get_error_code(), e.get_error_domain(), e)
say('secrets', c.numOfSecrets(), len(c.listSecrets()), c.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_VOLUME, '/x/y').UUIDString() == s.UUIDString(), len(c.listAllSecrets(libvirt.VIR_CONNECT_LIST_SECRETS_PRIVATE)))
s.undefine()
w.delete(0); v.delete(0)
p.destroy(); p.delete(0); p.undefine()
say('left', c.listAllStoragePools(0))
c.close()
print('\n'.join(out))
""";
        var (code, stdout, stderr) = _f.Python(script);
        Assert.True(code == 0, stderr);
        Assert.Equal(string.Join("\n",
            "type storage 9000000 1 0 1",
            "pool py 1 1 0 2",
            "lookups py py",
            "counts 1 0 ['py'] []",
            "listall ['py']",
            "vol v.img True [0, 524288, 524288]",
            "vollookups v.img v.img py",
            "vols 1 ['v.img'] ['v.img']",
            "resized 1048576 1048576",
            "clone w.img 1048576",
            "stream True",
            "flags 8 18 unsupported flags (0x1) in function storagePoolRefresh",
            "nopool 49 18 Storage pool not found: no storage pool with matching name 'nosuch'",
            "private 65 30 Invalid secret: secret is private",
            "secrets 1 1 True 1",
            "left []") + "\n", stdout);
        Assert.False(Directory.Exists(Path.Combine(_f.Kvmstor.Root, "pools", "py")));
    }

    [Fact]
    public void A_client_killed_mid_upload_leaves_no_lock_behind()
    {
        string pool = Path.Combine(_f.Kvmstor.Root, "pools", "k");
        Assert.Equal(0, _f.Kvmstor.Run("pool-create-as", "k", "dir", "--target", pool, "--build").ExitCode);
        Assert.Equal(0, _f.Kvmstor.Run("vol-create-as", "k", "big.img", "64M").ExitCode);
        // The client sends part of the data and dies without finishing or aborting the stream.
        var (code, _, stderr) = _f.Python($$"""
import libvirt, os
c = libvirt.open('{{_f.Uri}}')
v = c.storagePoolLookupByName('k').storageVolLookupByName('big.img')
st = c.newStream(0)
v.upload(st, 0, 0, 0)
st.send(b'x' * (1 << 20))
os._exit(0)
""");
        Assert.True(code == 0, stderr);
        // The volume's lock was released with the cancelled transfer: a delete through the CLI goes through.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        (int ExitCode, string Stdout, string Stderr) delete;
        do
        {
            delete = _f.Kvmstor.RunBounded(TimeSpan.FromSeconds(30), "vol-delete", "big.img", "--pool", "k");
        } while (delete.ExitCode != 0 && DateTime.UtcNow < deadline && Sleep());
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        Assert.Equal(0, _f.Kvmstor.Run("pool-destroy", "k").ExitCode);
    }

    private static bool Sleep()
    {
        Thread.Sleep(500);
        return true;
    }
}
