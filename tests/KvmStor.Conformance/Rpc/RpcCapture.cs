using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using KvmStor.Server.Protocol;

namespace KvmStor.Conformance.Rpc;

/// <summary>One packet of a capture: which connection, which way, its header and payload.</summary>
public sealed record CapturedPacket(int Index, string Connection, bool FromClient, PacketHeader Header, byte[] Payload, string? Sha256, int Length)
{
    /// <summary>A stream data payload shown abbreviated: its bytes are rebuilt from the known test data.</summary>
    public bool Abbreviated => Sha256 is not null;
}

/// <summary>A capture file of ../shared/conformance/libvirt-rpc parsed into packets (format: MANIFEST.md).</summary>
public sealed partial class RpcCapture
{
    public string Name { get; }
    public IReadOnlyList<CapturedPacket> Packets { get; }

    private RpcCapture(string name, List<CapturedPacket> packets)
    {
        Name = name;
        Packets = packets;
    }

    public static string Directory => Path.Combine(SharedData.Conformance, "libvirt-rpc");

    public static IEnumerable<string> Files() =>
        System.IO.Directory.GetFiles(Directory, "*.txt").Order(StringComparer.Ordinal);

    [GeneratedRegex(@"^\[(\d+)\] \+[\d.]+s (c\d+) (C->S|S->C) ")]
    private static partial Regex PacketLine();

    [GeneratedRegex(@"^\s+payload: (\d+) bytes of stream data, sha256=([0-9a-f]{64})")]
    private static partial Regex AbbreviatedLine();

    [GeneratedRegex(@"^\s+[0-9a-f]{6}  ((?:[0-9a-f]{2,8} ?)+)$")]
    private static partial Regex HexLine();

    public static RpcCapture Load(string path)
    {
        var packets = new List<CapturedPacket>();
        int index = 0;
        string connection = "";
        bool fromClient = false;
        PacketHeader? header = null;
        var payload = new List<byte>();
        string? sha = null;
        int length = 0;

        void Flush()
        {
            if (header is { } h) packets.Add(new CapturedPacket(index, connection, fromClient, h, payload.ToArray(), sha, sha is null ? payload.Count : length));
            header = null;
            payload.Clear();
            sha = null;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (PacketLine().Match(line) is { Success: true } m)
            {
                Flush();
                index = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                connection = m.Groups[2].Value;
                fromClient = m.Groups[3].Value == "C->S";
                continue;
            }
            string trimmed = line.TrimStart();
            if (trimmed.StartsWith("header bytes:", StringComparison.Ordinal))
            {
                var bytes = Convert.FromHexString(trimmed["header bytes:".Length..].Replace(" ", ""));
                header = PacketHeader.Read(bytes.AsSpan(4));
                continue;
            }
            if (AbbreviatedLine().Match(line) is { Success: true } a)
            {
                length = int.Parse(a.Groups[1].Value, CultureInfo.InvariantCulture);
                sha = a.Groups[2].Value;
                continue;
            }
            if (header is not null && sha is null && HexLine().Match(line) is { Success: true } hex)
                payload.AddRange(Convert.FromHexString(hex.Groups[1].Value.Replace(" ", "")));
        }
        Flush();
        return new RpcCapture(Path.GetFileName(path), packets);
    }

    /// <summary>
    /// The bytes of an abbreviated stream payload that starts <paramref name="position"/> bytes into its stream: the
    /// captures' test files are byte i = i mod 251 (vol-upload) or i mod 256 (the python abort script); the one whose
    /// SHA-256 matches is it. Null when neither does.
    /// </summary>
    public static byte[]? Rebuild(CapturedPacket packet, long position)
    {
        foreach (int modulus in new[] { 251, 256 })
        {
            var data = new byte[packet.Length];
            for (int i = 0; i < data.Length; i++) data[i] = (byte)((position + i) % modulus);
            if (Convert.ToHexStringLower(SHA256.HashData(data)) == packet.Sha256) return data;
        }
        return null;
    }
}
