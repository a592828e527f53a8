using KvmStor.Server.Xdr;

namespace KvmStor.Server.Protocol;

/// <summary>
/// remote_error, the payload of every REPLY/ERROR and STREAM/ERROR (§2.1): what virsh prints is <see cref="Message"/>;
/// python also exposes the format (<see cref="Str1"/>) and the detail (<see cref="Str2"/>).
/// </summary>
public sealed record RemoteError(int Code, int Domain, string Message, string? Str1, string? Str2, int Int1 = -1, int Int2 = -1)
{
    public const int LevelError = 2;

    /// <summary>An error whose message is "prefix: detail" (or the detail alone), laid out as libvirt's virReportError.</summary>
    public static RemoteError Make(int code, int domain, string prefix, string detail, int int1 = -1) =>
        prefix.Length == 0
            ? new RemoteError(code, domain, detail, "%s", detail, int1)
            : new RemoteError(code, domain, prefix + detail, prefix + "%s", detail, int1);

    /// <summary>A protocol-level error: code RPC, domain RPC, no prefix (§1.7).</summary>
    public static RemoteError Rpc(string message) => Make(ErrorNumbers.Rpc, ErrorDomains.Rpc, "", message);

    public static RemoteError Internal(int domain, string detail) => Make(ErrorNumbers.InternalError, domain, "internal error: ", detail);

    public static RemoteError NoSupport(int domain, string api) =>
        Make(ErrorNumbers.NoSupport, domain, "this function is not supported by the connection driver: ", api);

    public static RemoteError ReadOnly(int domain, string api) =>
        Make(ErrorNumbers.OperationDenied, domain, "operation forbidden: ", "read only access prevents " + api);

    /// <summary>libvirt's virCheckFlags failure: the function name in str1, "flags" in str2, ints 0.</summary>
    public static RemoteError UnsupportedFlags(int domain, uint flags, string function) =>
        new(ErrorNumbers.InvalidArg, domain, $"unsupported flags (0x{flags:x}) in function {function}", function, "flags", 0, 0);

    public void Encode(XdrWriter w)
    {
        w.WriteInt(Code);
        w.WriteInt(Domain);
        w.WriteOptionalString(Message);
        w.WriteInt(LevelError);
        w.WriteBool(false); // dom
        w.WriteOptionalString(Str1);
        w.WriteOptionalString(Str2);
        w.WriteOptionalString(null); // str3
        w.WriteInt(Int1);
        w.WriteInt(Int2);
        w.WriteBool(false); // net
    }

    public static RemoteError Decode(XdrReader r)
    {
        int code = r.ReadInt();
        int domain = r.ReadInt();
        string? message = r.ReadOptionalString();
        r.ReadInt();
        if (r.ReadPresent()) throw new XdrException("error with a domain is not expected here");
        string? str1 = r.ReadOptionalString();
        string? str2 = r.ReadOptionalString();
        r.ReadOptionalString();
        int int1 = r.ReadInt();
        int int2 = r.ReadInt();
        return new RemoteError(code, domain, message ?? "", str1, str2, int1, int2);
    }
}

/// <summary>The virErrorNumber values the server sends (§2.2).</summary>
public static class ErrorNumbers
{
    public const int InternalError = 1;
    public const int NoSupport = 3;
    public const int NoConnect = 5;
    public const int InvalidArg = 8;
    public const int OperationFailed = 9;
    public const int XmlError = 27;
    public const int OperationDenied = 29;
    public const int XmlDetail = 35;
    public const int SystemError = 38;
    public const int Rpc = 39;
    public const int NoDomain = 42;
    public const int NoNetwork = 43;
    public const int NoStoragePool = 49;
    public const int NoStorageVol = 50;
    public const int NoNodeDevice = 53;
    public const int OperationInvalid = 55;
    public const int NoInterface = 57;
    public const int InvalidSecret = 65;
    public const int NoSecret = 66;
    public const int ConfigUnsupported = 67;
    public const int OperationTimeout = 68;
    public const int ArgumentUnsupported = 74;
    public const int StorageProbeFailed = 75;
    public const int StoragePoolBuilt = 76;
    public const int OperationUnsupported = 84;
    public const int StorageVolExist = 90;
}

/// <summary>The virErrorDomain values (§2.3).</summary>
public static class ErrorDomains
{
    public const int None = 0;
    public const int Rpc = 7;
    public const int Qemu = 10;
    public const int Storage = 18;
    public const int Network = 19;
    public const int Domain = 20;
    public const int NodeDevice = 22;
    public const int Interface = 26;
    public const int Secret = 30;
    public const int Streams = 38;
}
