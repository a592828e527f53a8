using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;
using KvmStor.State;

namespace KvmStor.Conformance.Rpc;

/// <summary>How one capture fared: matched, or the differences found.</summary>
public sealed record ReplayResult(string Capture, IReadOnlyList<string> Differences)
{
    public bool Matches => Differences.Count == 0;
}

/// <summary>
/// Replays the clients' packets of the captures, in their recorded order, against one in-process `kvmstor serve`
/// (the captures were one session against one daemon, so later files find what earlier ones made) and compares every
/// packet the daemon sent with what kvmstor sends. Masked: UUIDs (learned from the handles both servers return),
/// callback ids, the captures' directory (/tmp/lvcap, replaced by a temp directory of the same length so XDR lengths
/// stay), and sizes that depend on the machine (pool sizes, allocations, timestamps).
/// </summary>
public sealed partial class RpcReplay : IAsyncDisposable
{
    private const string CaptureRoot = "/tmp/lvcap";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(8);

    private readonly string _root;
    private readonly string _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _server;
    private readonly Dictionary<Guid, Guid> _uuids = [];
    private readonly Dictionary<int, int> _callbackIds = [];
    private readonly StorageHost _host;

    public RpcReplay()
    {
        // Same length as /tmp/lvcap, so paths inside XDR strings can be swapped byte for byte.
        _root = "/tmp/lv" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2))[..3];
        Directory.CreateDirectory(_root);
        string state = Path.Combine(_root, "state");
        var paths = new StatePaths(StatePaths.SystemUri, state + "/etc/storage", state + "/etc/storage/autostart", state + "/run")
        {
            DataDirectory = state + "/lib",
        };
        var host = _host = new StorageHost(paths, BackendRegistry.CreateDefault());
        _socket = Path.Combine(_root, "kvmstor-sock");
        var started = new TaskCompletionSource();
        _server = Task.Run(() => ServerRunner.RunAsync(host, new ServeOptions(_socket), _stop.Token, _ => started.SetResult()));
        if (!started.Task.Wait(TimeSpan.FromSeconds(20))) throw new TimeoutException("the server did not start");
    }

    /// <summary>Captures recorded through libvirtd's read-only socket (MANIFEST: "for the read-only captures").</summary>
    private static readonly HashSet<string> ReadOnlySocket = ["100-readonly-virsh-r-pool-list.txt", "101-readonly-virsh-r-pool-destroy.txt",
        "102-readonly-socket-write-refused.txt", "142-python-openreadonly.txt"];

    /// <summary>Set-up the recording made outside the proxy (MANIFEST: "ran directly against the daemon"), redone here.</summary>
    private static readonly Dictionary<string, Action<StorageHost>> Preparation = new()
    {
        ["134-secret-event-value-changed.txt"] = host => host.Secrets.Define(
            "<secret ephemeral='no' private='no'><uuid>f93882cc-cc5d-4d68-9427-da574a29e31b</uuid><usage type='iscsi'><target>rpccap-iscsi</target></usage></secret>"),
    };

    /// <summary>The matching tear-down, after the capture.</summary>
    private static readonly Dictionary<string, Action<StorageHost>> Cleanup = new()
    {
        ["134-secret-event-value-changed.txt"] = host => host.Secrets.Undefine("f93882cc-cc5d-4d68-9427-da574a29e31b"),
    };

    private readonly List<(string Where, PacketHeader Header, byte[] Theirs, byte[] Ours)> _comparisons = [];

    public ReplayResult Replay(RpcCapture capture)
    {
        var differences = new List<string>();
        _comparisons.Clear();
        if (Preparation.TryGetValue(capture.Name, out var prepare)) prepare(_host);
        string socket = ReadOnlySocket.Contains(capture.Name) ? _socket + "-ro" : _socket;
        var connections = new Dictionary<string, ReplayConnection>();
        var streams = new Dictionary<(string, uint), StreamTokens>();
        try
        {
            foreach (var packet in capture.Packets)
            {
                if (differences.Count > 5) break;
                if (!connections.TryGetValue(packet.Connection, out var connection))
                    connections[packet.Connection] = connection = new ReplayConnection(socket);
                if (packet.FromClient) Send(connection, packet, streams);
                else Expect(connection, packet, streams, differences);
            }
            // Compared at the end, when every UUID both servers gave is known.
            foreach (var (where, header, theirs, ours) in _comparisons)
            {
                string want = Normalize(header, ToOurs(theirs));
                string got = Normalize(header, ours);
                if (want != got) differences.Add($"{where}: {FirstDifference(want, got)}");
            }
            foreach (var ((conn, serial), tokens) in streams)
            {
                var ours = connections[conn].StreamTokens(serial, this);
                if (tokens.Expected.ToString() != ours)
                    differences.Add($"stream {serial} on {conn}: libvirtd {tokens.Expected}, kvmstor {ours}");
                if (connections[conn].StreamBytes(serial) is var bytes && tokens.Expected.Checks.FirstOrDefault(c => !c.Matches(bytes)) is { } bad)
                    differences.Add($"stream {serial} on {conn}: bytes at {bad.Position} (+{bad.Length}) differ");
            }
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException)
        {
            differences.Add(e.Message);
        }
        finally
        {
            foreach (var c in connections.Values) c.Dispose();
            if (Cleanup.TryGetValue(capture.Name, out var cleanup)) cleanup(_host);
        }
        return new ReplayResult(capture.Name, differences);
    }

    private sealed class StreamTokens
    {
        public long Position;
        public long Start;
        public readonly TokenBuilder Expected = new();
    }

    // ---- client → server ----

    private void Send(ReplayConnection connection, CapturedPacket packet, Dictionary<(string, uint), StreamTokens> streams)
    {
        byte[] payload;
        if (packet.Abbreviated)
        {
            var key = (packet.Connection, packet.Header.Serial);
            streams.TryAdd(key, new StreamTokens());
            payload = RpcCapture.Rebuild(packet, ClientPosition(connection, packet.Header.Serial))
                      ?? throw new IOException($"packet [{packet.Index}]: stream data not rebuilt from the test files");
        }
        else payload = ToOurs(packet.Payload);
        if (packet.Header.Type == MessageType.Call && packet.Header.Procedure is 369 or 381 && payload.Length >= 4)
        {
            int theirs = BinaryPrimitives.ReadInt32BigEndian(payload);
            if (_callbackIds.TryGetValue(theirs, out int ours)) BinaryPrimitives.WriteInt32BigEndian(payload, ours);
        }
        if (packet.Header.Type is MessageType.Stream or MessageType.StreamHole)
            connection.TrackClientStream(packet.Header, payload);
        if (packet.Header.Type == MessageType.Call && packet.Header.Procedure is 208 or 209)
        {
            // The stream's data starts at the call's offset of the test file (byte i = i mod 251).
            var r = new XdrReader(payload);
            VolumeHandleWire.Read(r);
            long offset = (long)r.ReadUHyper();
            streams[(packet.Connection, packet.Header.Serial)] = new StreamTokens { Position = offset, Start = offset };
        }
        connection.Send(new Packet(packet.Header, payload));
    }

    private static long ClientPosition(ReplayConnection connection, uint serial) => connection.ClientStreamPosition(serial);

    // ---- server → client ----

    private void Expect(ReplayConnection connection, CapturedPacket expected, Dictionary<(string, uint), StreamTokens> streams, List<string> differences)
    {
        var h = expected.Header;
        string where = $"[{expected.Index}] proc {h.Procedure} serial {h.Serial} {h.Type}/{h.Status}";
        if (h.Type is MessageType.Stream or MessageType.StreamHole)
        {
            var key = (expected.Connection, h.Serial);
            if (!streams.TryGetValue(key, out var tokens)) streams[key] = tokens = new StreamTokens();
            if (expected.Abbreviated)
            {
                // Only its hash is known: checked against kvmstor's bytes at the same place of the stream.
                tokens.Expected.AddChecked(h, expected.Length, expected.Sha256!, tokens.Position - tokens.Start);
                tokens.Position += expected.Length;
            }
            else
            {
                byte[] data = ToOurs(expected.Payload);
                if (h.Type == MessageType.StreamHole) tokens.Position += new XdrReader(data).ReadHyper();
                else if (h.Status == MessageStatus.Continue) tokens.Position += data.Length;
                tokens.Expected.Add(h, data, this);
            }
            // Wait until kvmstor has sent as far, so the client's next packet (finish, abort) comes at the same point.
            if (!connection.WaitForStream(h.Serial, tokens.Expected, Wait, this))
                differences.Add($"{where}: kvmstor's stream did not get this far ({connection.StreamTokens(h.Serial, this)})");
            return;
        }
        Packet? ours = h.Type switch
        {
            MessageType.Reply => connection.Take(p => p.Header.Type == MessageType.Reply && p.Header.Serial == h.Serial && p.Header.Procedure == h.Procedure, Wait),
            MessageType.Message => connection.Take(p => p.Header.Type == MessageType.Message && p.Header.Program == h.Program && p.Header.Procedure == h.Procedure, Wait),
            _ => null,
        };
        if (ours is null)
        {
            differences.Add($"{where}: no such packet from kvmstor");
            return;
        }
        if (ours.Header.Status != h.Status)
        {
            differences.Add($"{where}: status {ours.Header.Status}: {Describe(ours)}");
            return;
        }
        if (h.Type == MessageType.Reply && h.Status == MessageStatus.Ok) Learn(h.Procedure, expected.Payload, ours.Payload.ToArray());
        _comparisons.Add((where, h, expected.Payload, ours.Payload.ToArray()));
    }

    /// <summary>The two texts around their first difference.</summary>
    private static string FirstDifference(string want, string got)
    {
        int at = 0;
        while (at < want.Length && at < got.Length && want[at] == got[at]) at++;
        int from = Math.Max(0, at - 60);
        string Cut(string s) => s.Substring(from, Math.Min(s.Length - from, 200)).Replace("\n", "\\n");
        return $"libvirtd …{Cut(want)}… / kvmstor …{Cut(got)}…";
    }

    private static string Describe(Packet p) =>
        p.Header.Status == MessageStatus.Error ? RemoteError.Decode(new XdrReader(p.Payload)).Message : Convert.ToHexString(p.Payload.Span);

    /// <summary>What both servers' replies are compared by: the bytes, or for machine-dependent results the masked text.</summary>
    private static string Normalize(PacketHeader h, byte[] payload)
    {
        try
        {
            if (h.Status == MessageStatus.Error)
            {
                var e = RemoteError.Decode(new XdrReader(payload));
                return $"code={e.Code} domain={e.Domain} message={e.Message} str1={e.Str1} str2={e.Str2} int1={e.Int1} int2={e.Int2}";
            }
            if (h.Type == MessageType.Message && h.Program == Programs.Remote && payload.Length >= 4)
                return "callback " + Convert.ToHexString(payload.AsSpan(4)); // callback ids are the server's own numbering
            switch (h.Procedure)
            {
                case 87: return "state " + Convert.ToHexString(payload.AsSpan(0, 4)); // pool sizes are the host's
                case 98 or 378: return Convert.ToHexString(payload.AsSpan(0, 12)); // type, capacity (allocation is the file system's)
                case 368 or 380: return "callback id";
                case 281 or 282 or 287: return SortedList(h.Procedure, payload);
                case 88 or 99:
                    return MaskXml(new XdrReader(payload).ReadString());
                default: return Convert.ToHexString(payload);
            }
        }
        catch (XdrException) { return Convert.ToHexString(payload); }
    }

    /// <summary>The list-all replies in a fixed order: libvirtd lists in its hash order, kvmstor by name (§8.1: order is free).</summary>
    private static string SortedList(int procedure, byte[] payload)
    {
        var r = new XdrReader(payload);
        int n = r.ReadArrayCount(ProtocolLimits.ListMax, 4);
        var items = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var w = new XdrWriter();
            switch (procedure)
            {
                case 281: PoolHandle.Read(r).Write(w); break;
                case 282: VolumeHandleWire.Read(r).Write(w); break;
                default: SecretHandle.Read(r).Write(w); break;
            }
            items.Add(Convert.ToHexString(w.Written));
        }
        items.Sort(StringComparer.Ordinal);
        return $"[{string.Join(",", items)}] ret {r.ReadUInt()}";
    }

    [GeneratedRegex(@"<(capacity|allocation|available|physical)( unit='bytes')?>\d+</\1>")]
    private static partial Regex SizeElement();

    [GeneratedRegex(@"<(atime|mtime|ctime|btime)>[\d.]+</\1>")]
    private static partial Regex TimeElement();

    /// <summary>Sizes a pool reports come from the host's file system; a volume's capacity is its own, its allocation is not.</summary>
    private static string MaskXml(string xml)
    {
        bool pool = xml.StartsWith("<pool", StringComparison.Ordinal);
        xml = SizeElement().Replace(xml, m => !pool && m.Groups[1].Value == "capacity" ? m.Value : $"<{m.Groups[1].Value}>*</{m.Groups[1].Value}>");
        return TimeElement().Replace(xml, "<$1>*</$1>");
    }

    /// <summary>Learns the UUIDs and callback ids kvmstor gave for the ones libvirtd gave, from the handles both returned.</summary>
    private void Learn(int procedure, byte[] theirs, byte[] ours)
    {
        try
        {
            switch (procedure)
            {
                case 76 or 77 or 84 or 85 or 86 or 391:
                    Map(PoolHandle.Read(new XdrReader(theirs)).Uuid, PoolHandle.Read(new XdrReader(ours)).Uuid);
                    break;
                case 141 or 142 or 147:
                    Map(SecretHandle.Read(new XdrReader(theirs)).Uuid, SecretHandle.Read(new XdrReader(ours)).Uuid);
                    break;
                case 281:
                    var pools = ReadPools(ours).ToDictionary(p => p.Name);
                    foreach (var p in ReadPools(theirs))
                        if (pools.TryGetValue(p.Name, out var mine)) Map(p.Uuid, mine.Uuid);
                    break;
                case 287:
                    var secrets = ReadSecrets(ours).GroupBy(s => (s.UsageType, s.UsageId)).ToDictionary(g => g.Key, g => g.First());
                    foreach (var s in ReadSecrets(theirs))
                        if (secrets.TryGetValue((s.UsageType, s.UsageId), out var mine)) Map(s.Uuid, mine.Uuid);
                    break;
                case 368 or 380:
                    _callbackIds[BinaryPrimitives.ReadInt32BigEndian(theirs)] = BinaryPrimitives.ReadInt32BigEndian(ours);
                    break;
            }
        }
        catch (XdrException) { }
    }

    private void Map(Guid theirs, Guid ours) => _uuids[theirs] = ours;

    private static List<PoolHandle> ReadPools(byte[] payload)
    {
        var r = new XdrReader(payload);
        int n = r.ReadArrayCount(ProtocolLimits.ListMax, 20);
        return Enumerable.Range(0, n).Select(_ => PoolHandle.Read(r)).ToList();
    }

    private static List<SecretHandle> ReadSecrets(byte[] payload)
    {
        var r = new XdrReader(payload);
        int n = r.ReadArrayCount(ProtocolLimits.ListMax, 24);
        return Enumerable.Range(0, n).Select(_ => SecretHandle.Read(r)).ToList();
    }

    /// <summary>A captured payload as it reads in this run: our directory for /tmp/lvcap, our UUIDs for libvirtd's.</summary>
    private byte[] ToOurs(byte[] payload)
    {
        var bytes = (byte[])payload.Clone();
        Replace(bytes, Encoding.ASCII.GetBytes(CaptureRoot), Encoding.ASCII.GetBytes(_root));
        foreach (var (theirs, ours) in _uuids)
        {
            Replace(bytes, theirs.ToByteArray(bigEndian: true), ours.ToByteArray(bigEndian: true));
            Replace(bytes, Encoding.ASCII.GetBytes(theirs.ToString("D")), Encoding.ASCII.GetBytes(ours.ToString("D")));
        }
        return bytes;
    }

    private static void Replace(byte[] bytes, byte[] from, byte[] to)
    {
        for (int at = bytes.AsSpan().IndexOf(from); at >= 0;)
        {
            to.CopyTo(bytes, at);
            int next = bytes.AsSpan(at + from.Length).IndexOf(from);
            at = next < 0 ? -1 : at + from.Length + next;
        }
    }

    /// <summary>A stream's packets as a short text: data runs (length and SHA-256), holes, end, finish, errors.</summary>
    /// <summary>A stretch of stream data known by its SHA-256 only.</summary>
    internal sealed record ContentCheck(long Position, int Length, string Sha256)
    {
        public bool Matches(byte[] stream) =>
            Position + Length <= stream.Length
            && Convert.ToHexStringLower(SHA256.HashData(stream.AsSpan((int)Position, Length))) == Sha256;
    }

    internal sealed class TokenBuilder
    {
        private readonly List<string> _tokens = [];
        private bool _data;
        private long _dataLength;
        private long _hole;
        private long _position;
        public List<ContentCheck> Checks { get; } = [];

        public void AddChecked(PacketHeader h, int length, string sha, long position)
        {
            CloseHole();
            Checks.Add(new ContentCheck(position, length, sha));
            _data = true;
            _dataLength += length;
            DataTotal += length;
            _position += length;
        }
        public long DataTotal { get; private set; }
        public int Terminals { get; private set; }

        public void Add(PacketHeader h, byte[] payload, RpcReplay replay)
        {
            if (h.Type == MessageType.StreamHole)
            {
                CloseData();
                long hole = new XdrReader(payload).ReadHyper();
                _hole += hole;
                _position += hole;
                return;
            }
            if (h.Status == MessageStatus.Continue && payload.Length > 0)
            {
                CloseHole();
                Checks.Add(new ContentCheck(_position, payload.Length, Convert.ToHexStringLower(SHA256.HashData(payload))));
                _data = true;
                _dataLength += payload.Length;
                DataTotal += payload.Length;
                _position += payload.Length;
                return;
            }
            CloseData();
            CloseHole();
            Terminals++;
            _tokens.Add(h.Status switch
            {
                MessageStatus.Continue => "end",
                MessageStatus.Ok => "ok",
                _ => "error(" + Normalize(h, payload) + ")",
            });
        }

        private void CloseData()
        {
            if (!_data) return;
            _tokens.Add($"data({_dataLength})");
            _data = false;
            _dataLength = 0;
        }

        private void CloseHole()
        {
            if (_hole == 0) return;
            _tokens.Add($"hole({_hole})");
            _hole = 0;
        }

        public override string ToString()
        {
            var copy = new List<string>(_tokens);
            if (_data) copy.Add($"data({_dataLength})");
            if (_hole != 0) copy.Add($"hole({_hole})");
            return string.Join(" ", copy);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _server; } catch (OperationCanceledException) { }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
