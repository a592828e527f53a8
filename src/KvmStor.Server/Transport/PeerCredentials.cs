using System.Buffers.Binary;
using System.Net.Sockets;

namespace KvmStor.Server.Transport;

/// <summary>Who is at the other end of a UNIX socket, as the kernel recorded at connect (SO_PEERCRED).</summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    public static PeerCredentials Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12];
        int size = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (size < 12) throw new SocketException((int)SocketError.ProtocolNotSupported);
        return new PeerCredentials(
            BinaryPrimitives.ReadInt32LittleEndian(ucred),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(ucred[8..]));
    }

    /// <summary>The supplementary groups of the peer process (from /proc), so a member of --group is let in.</summary>
    public IReadOnlyList<uint> SupplementaryGroups()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
                if (line.StartsWith("Groups:", StringComparison.Ordinal))
                    return line[7..].Split(' ', '\t', StringSplitOptions.RemoveEmptyEntries)
                        .Select(g => uint.TryParse(g, out uint v) ? v : uint.MaxValue).ToList();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return [];
    }
}
