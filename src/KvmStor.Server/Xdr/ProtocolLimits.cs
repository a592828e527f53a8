namespace KvmStor.Server.Xdr;

/// <summary>The sizes libvirt's remote protocol caps (reference §1.6).</summary>
public static class ProtocolLimits
{
    /// <summary>Header bytes after the length word.</summary>
    public const int HeaderSize = 24;

    /// <summary>The smallest packet: length word and header, no payload.</summary>
    public const int MinPacket = 4 + HeaderSize;

    /// <summary>The largest payload a packet may carry (32 MiB − header).</summary>
    public const int MaxPayload = 32 * 1024 * 1024 - HeaderSize;

    /// <summary>The largest value of the length word.</summary>
    public const int MaxPacket = 4 + 32 * 1024 * 1024;

    /// <summary>Stream data chunk size libvirt's clients and daemon use (256 KiB − header).</summary>
    public const int StreamChunk = 262120;

    public const int StringMax = 4194304;
    public const int SecretValueMax = 65536;
    public const int ListMax = 16384;
    public const int AuthTypeListMax = 20;
}
