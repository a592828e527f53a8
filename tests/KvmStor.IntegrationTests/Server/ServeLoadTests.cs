using System.Security.Cryptography;
using System.Text.Json;

namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// `kvmstor serve` under load and abuse, with python3-libvirt and a raw protocol client: 16 clients at once for a
/// minute of mixed calls (every call bounded), clients killed mid-transfer, keepalive answered during a long wipe.
/// The end state is checked against the CLI's view and the files on disk.
/// </summary>
public sealed class ServeLoadTests : IDisposable
{
    private readonly ServeFixture _f = new();
    private KvmstorProcess K => _f.Kvmstor;
    private string Pools => Path.Combine(K.Root, "pools");

    public void Dispose() => _f.Dispose();

    /// <summary>
    /// One client: for the given seconds it creates, uploads, downloads (checking the bytes), wipes, clones and deletes
    /// its own volumes in a shared pool, defines, sets, reads and undefines its own secrets, and looks up and lists
    /// everything; each call must finish within 30 s (SIGALRM). It prints what it believes exists at the end, as JSON.
    /// </summary>
    private const string LoadClient = """
import base64, hashlib, json, os, random, signal, sys, time
import libvirt
uri, me, seconds, pools = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4].split(',')
def timeout(*_): raise TimeoutError('a call took longer than 30 s')
signal.signal(signal.SIGALRM, timeout)
rnd = random.Random(me)
c = libvirt.open(uri)
pool = c.storagePoolLookupByName(pools[me % len(pools)])
vols = {}      # name -> sha256 of the content
secrets = {}   # uuid -> value
n = 0
calls = 0
def upload(v, data):
    st = c.newStream(0)
    v.upload(st, 0, len(data), 0)
    st.send(data)
    st.finish()
def download(v, size):
    st = c.newStream(0)
    v.download(st, 0, size, 0)
    got = bytearray()
    while True:
        d = st.recv(262144)
        if not d: break
        got += d
    st.finish()
    return bytes(got)
end = time.time() + seconds
while time.time() < end:
    signal.alarm(30)
    op = rnd.choice(['create', 'create', 'upload', 'download', 'wipe', 'clone', 'delete', 'secret', 'secret', 'lookup', 'list'])
    if op == 'create' or (op in ('upload', 'download', 'wipe', 'clone', 'delete') and not vols):
        n += 1
        name = f'c{me}-{n}.img'
        size = rnd.choice([65536, 131072, 1 << 20])
        v = pool.createXML(f"<volume><name>{name}</name><capacity>{size}</capacity><allocation>0</allocation></volume>", 0)
        vols[name] = hashlib.sha256(bytes(size)).hexdigest()
    elif op == 'upload':
        name = rnd.choice(sorted(vols))
        v = pool.storageVolLookupByName(name)
        size = v.info()[1]
        data = rnd.randbytes(size)
        upload(v, data)
        vols[name] = hashlib.sha256(data).hexdigest()
    elif op == 'download':
        name = rnd.choice(sorted(vols))
        v = pool.storageVolLookupByName(name)
        got = download(v, v.info()[1])
        if hashlib.sha256(got).hexdigest() != vols[name]: raise AssertionError(f'{name}: downloaded bytes differ')
    elif op == 'wipe':
        name = rnd.choice(sorted(vols))
        v = pool.storageVolLookupByName(name)
        v.wipePattern(libvirt.VIR_STORAGE_VOL_WIPE_ALG_ZERO, 0)
        vols[name] = hashlib.sha256(bytes(v.info()[1])).hexdigest()
    elif op == 'clone':
        source = rnd.choice(sorted(vols))
        n += 1
        name = f'c{me}-{n}.img'
        pool.createXMLFrom(f"<volume><name>{name}</name><capacity>0</capacity></volume>", pool.storageVolLookupByName(source), 0)
        vols[name] = vols[source]
    elif op == 'delete':
        name = rnd.choice(sorted(vols))
        pool.storageVolLookupByName(name).delete(0)
        del vols[name]
    elif op == 'secret':
        if secrets and rnd.random() < 0.3:
            u = rnd.choice(sorted(secrets))
            c.secretLookupByUUIDString(u).undefine()
            del secrets[u]
        else:
            n += 1
            s = c.secretDefineXML(f"<secret ephemeral='no' private='no'><usage type='volume'><volume>/load/{me}/{n}</volume></usage></secret>", 0)
            value = rnd.randbytes(16)
            s.setValue(value, 0)
            if s.value(0) != value: raise AssertionError('secret value differs')
            secrets[s.UUIDString()] = base64.b64encode(value).decode()
    elif op == 'lookup':
        p2 = c.storagePoolLookupByUUIDString(pool.UUIDString())
        assert p2.name() == pool.name()
        if vols:
            v = pool.storageVolLookupByName(rnd.choice(sorted(vols)))
            assert c.storageVolLookupByPath(v.path()).name() == v.name()
            assert c.storageVolLookupByKey(v.key()).name() == v.name()
    else:
        names = {v.name() for v in pool.listAllVolumes(0)}
        mine = {x for x in names if x.startswith(f'c{me}-')}
        if mine != set(vols): raise AssertionError(f'list shows {sorted(mine)}, expected {sorted(vols)}')
        c.listAllStoragePools(0)
        c.listAllSecrets(0)
    signal.alarm(0)
    calls += 1
c.close()
print(json.dumps({'pool': pool.name(), 'vols': vols, 'secrets': secrets, 'calls': calls}))
""";

    [Fact]
    public void Sixteen_clients_for_a_minute_lose_and_tear_nothing()
    {
        string[] pools = ["l0", "l1", "l2", "l3"];
        foreach (var p in pools)
            Assert.Equal(0, K.Run("pool-create-as", p, "dir", "--target", Path.Combine(Pools, p), "--build").ExitCode);
        var clients = Enumerable.Range(0, 16)
            .Select(i => Task.Run(() => Client.Run("/usr/bin/python3", ["-c", LoadClient, _f.Uri, i.ToString(), "60", string.Join(',', pools)])))
            .ToArray();
        Assert.True(Task.WaitAll(clients, TimeSpan.FromMinutes(5)), "the clients did not finish");

        var expectedVolumes = new Dictionary<string, HashSet<string>>();
        var expectedSecrets = new Dictionary<string, string>();
        int calls = 0;
        foreach (var client in clients)
        {
            var (code, stdout, stderr) = client.Result;
            Assert.True(code == 0, stderr);
            using var result = JsonDocument.Parse(stdout);
            string pool = result.RootElement.GetProperty("pool").GetString()!;
            calls += result.RootElement.GetProperty("calls").GetInt32();
            foreach (var v in result.RootElement.GetProperty("vols").EnumerateObject())
            {
                (expectedVolumes.TryGetValue(pool, out var set) ? set : expectedVolumes[pool] = []).Add(v.Name);
                // The bytes on disk are what the client last wrote.
                var bytes = File.ReadAllBytes(Path.Combine(Pools, pool, v.Name));
                Assert.Equal(v.Value.GetString(), Convert.ToHexStringLower(SHA256.HashData(bytes)));
            }
            foreach (var s in result.RootElement.GetProperty("secrets").EnumerateObject())
                expectedSecrets[s.Name] = s.Value.GetString()!;
        }
        // Throughput is the benchmark's business; here every client must have done real work on a loaded machine too.
        Assert.True(calls >= 16 * 5, $"only {calls} operations in a minute");

        // The CLI sees exactly what the clients believe, and no file besides (no half-made volume, no temp file).
        foreach (var p in pools)
        {
            Assert.Equal(0, K.Run("pool-refresh", p).ExitCode);
            var (_, list, _) = K.Run("vol-list", p);
            var listed = list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(2)
                .Select(l => l.Split(' ')[0]).ToHashSet();
            var want = expectedVolumes.GetValueOrDefault(p) ?? [];
            Assert.Equal(want.Order(), listed.Order());
            Assert.Equal(want.Order(), Directory.GetFileSystemEntries(Path.Combine(Pools, p)).Select(Path.GetFileName).Order()!);
        }
        var (_, secretList, _) = K.Run("secret-list");
        foreach (var (uuid, value) in expectedSecrets)
        {
            Assert.Contains(uuid, secretList);
            Assert.Equal(value, K.Run("secret-get-value", uuid).Stdout.Trim());
        }
        Assert.Equal(expectedSecrets.Count + 2, secretList.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void A_client_killed_mid_download_leaves_no_lock_and_the_server_serves_on()
    {
        string pool = Path.Combine(Pools, "kd");
        Assert.Equal(0, K.Run("pool-create-as", "kd", "dir", "--target", pool, "--build").ExitCode);
        Assert.Equal(0, K.Run("vol-create-as", "kd", "big.img", "256M").ExitCode);
        var (code, _, stderr) = _f.Python($$"""
import libvirt, os
c = libvirt.open('{{_f.Uri}}')
v = c.storagePoolLookupByName('kd').storageVolLookupByName('big.img')
st = c.newStream(0)
v.download(st, 0, 0, 0)
st.recv(65536)
os._exit(0)
""");
        Assert.True(code == 0, stderr);
        // The download's lock goes with the client: the CLI may delete the volume (bounded retries while the server
        // notices the closed socket), and a new client is served at once.
        Assert.True(Eventually(() => K.RunBounded(TimeSpan.FromSeconds(30), "vol-delete", "big.img", "--pool", "kd").ExitCode == 0),
            "the volume stayed locked after its downloader died");
        var after = _f.Virsh("vol-list", "kd");
        Assert.True(after.ExitCode == 0, after.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(pool));
    }

    [Fact]
    public void A_clone_whose_client_dies_leaves_no_half_made_volume()
    {
        string pool = Path.Combine(Pools, "kc");
        Assert.Equal(0, K.Run("pool-create-as", "kc", "dir", "--target", pool, "--build").ExitCode);
        // Real data (not a hole) so the copy takes a while.
        using (var f = File.Create(Path.Combine(pool, "src.img")))
        {
            var block = RandomNumberGenerator.GetBytes(1 << 20);
            for (int i = 0; i < 768; i++) f.Write(block);
        }
        Assert.Equal(0, K.Run("pool-refresh", "kc").ExitCode);
        var (code, _, stderr) = _f.Python($$"""
import libvirt, os, threading, time
c = libvirt.open('{{_f.Uri}}')
p = c.storagePoolLookupByName('kc')
src = p.storageVolLookupByName('src.img')
threading.Thread(target=lambda: p.createXMLFrom("<volume><name>copy.img</name><capacity>0</capacity></volume>", src, 0), daemon=True).start()
time.sleep(0.3)
os._exit(0)
""");
        Assert.True(code == 0, stderr);
        // Whatever point the copy had reached: no copy.img (nor a temp file) once the server has dropped the call.
        Assert.True(Eventually(() => Directory.GetFileSystemEntries(pool).Select(Path.GetFileName).SequenceEqual(["src.img"])),
            "left in the pool: " + string.Join(", ", Directory.GetFileSystemEntries(pool).Select(Path.GetFileName)));
        Assert.Equal(0, K.RunBounded(TimeSpan.FromSeconds(30), "vol-delete", "src.img", "--pool", "kc").ExitCode);
    }

    /// <summary>
    /// A raw protocol client starts a long wipe (RANDOM over 512 MiB) and sends a keepalive PING on the same
    /// connection right after: the PONG must come back before the wipe's reply (how fast is not asserted: a loaded machine
    /// promises no latency, but a PING queued behind the wipe would come after it).
    /// </summary>
    [Fact]
    public void Keepalive_is_answered_while_a_long_wipe_runs_on_the_same_connection()
    {
        Assert.Equal(0, K.Run("pool-create-as", "kw", "dir", "--target", Path.Combine(Pools, "kw"), "--build").ExitCode);
        Assert.Equal(0, K.Run("vol-create-as", "kw", "w.img", "512M").ExitCode);
        var (code, stdout, stderr) = _f.Python($$"""
import socket, struct, time
REMOTE, KEEP = 0x20008086, 0x6b656570
s = socket.socket(socket.AF_UNIX); s.connect('{{_f.Socket}}')
def send(prog, proc, typ, serial, payload=b''):
    s.sendall(struct.pack('>IIIIIII', 28 + len(payload), prog, 1, proc, typ, serial, 0) + payload)
def recv():
    n = struct.unpack('>I', s.recv(4, socket.MSG_WAITALL))[0]
    body = s.recv(n - 4, socket.MSG_WAITALL)
    prog, vers, proc, typ, serial, status = struct.unpack('>IIIIII', body[:24])
    return prog, proc, serial, status, body[24:]
def xstr(t):
    b = t.encode(); return struct.pack('>I', len(b)) + b + b'\0' * (-len(b) % 4)
send(REMOTE, 66, 0, 1); recv()
send(REMOTE, 1, 0, 2, struct.pack('>II', 0, 0)); recv()
send(REMOTE, 84, 0, 3, xstr('kw')); pool = recv()[4]
send(REMOTE, 95, 0, 4, pool + xstr('w.img')); vol = recv()[4]
started = time.time()
send(REMOTE, 259, 0, 5, vol + struct.pack('>II', 8, 0))   # WIPE_PATTERN, VIR_STORAGE_VOL_WIPE_ALG_RANDOM
time.sleep(0.2)
ping = time.time()
send(KEEP, 1, 2, 0)
order = []
while len(order) < 2:
    prog, proc, serial, status, _ = recv()
    if prog == KEEP and proc == 2: order.append(('pong', time.time() - ping))
    elif prog == REMOTE and proc == 259: order.append(('wipe', time.time() - started, status))
print(order[0][0], order[1][0], order[1][2])
print(order)
""");
        Assert.True(code == 0, stderr);
        Assert.StartsWith("pong wipe 0\n", stdout);
    }

    private static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(300);
        }
        return true;
    }
}
