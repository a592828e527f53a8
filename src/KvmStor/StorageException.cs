namespace KvmStor;

/// <summary>The kinds of failure libvirt reports; each maps to the prefix virsh prints before the message.</summary>
public enum ErrorCode
{
    /// <summary>No prefix: the message stands alone (system errors, virsh-side errors).</summary>
    None,
    NoStoragePool,
    NoStorageVolume,
    OperationInvalid,
    OperationFailed,
    XmlError,
    ConfigUnsupported,
    InvalidArgument,
    InternalError,
    NoSupport,
    ArgumentUnsupported,
    StorageVolumeExists,
    StoragePoolBuilt,
    /// <summary>libvirt's VIR_ERR_STORAGE_PROBE_FAILED (device probing before build/start).</summary>
    StorageProbeFailed,
    /// <summary>kvmstor's own refusals (guest protection and the like).</summary>
    OperationDenied,
    /// <summary>libvirt's VIR_ERR_OPERATION_UNSUPPORTED ("Operation not supported: ").</summary>
    OperationUnsupported,
    /// <summary>libvirt's VIR_ERR_NO_SECRET ("Secret not found: ").</summary>
    NoSecret,
    /// <summary>libvirt's VIR_ERR_INVALID_SECRET ("Invalid secret: ").</summary>
    InvalidSecret,
    /// <summary>libvirt's VIR_ERR_OPERATION_TIMEOUT ("Timed out during operation: "): a network server did not answer in time.</summary>
    OperationTimeout,
}

/// <summary>
/// A failure the user sees. <see cref="Message"/> is the text without prefix;
/// <see cref="Display"/> is what virsh prints after "error: ".
/// </summary>
public class StorageException : Exception
{
    public ErrorCode Code { get; }

    public StorageException(ErrorCode code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    public string Display => Prefix(Code) + Message;

    /// <summary>The errno of a <see cref="System"/> error (what went wrong, for a caller that must tell kinds apart); null otherwise.</summary>
    public int? SystemErrno { get; private init; }

    public static string Prefix(ErrorCode code) => code switch
    {
        ErrorCode.NoStoragePool => "Storage pool not found: ",
        ErrorCode.NoStorageVolume => "Storage volume not found: ",
        ErrorCode.OperationInvalid => "Requested operation is not valid: ",
        ErrorCode.OperationFailed => "operation failed: ",
        ErrorCode.XmlError => "XML error: ",
        ErrorCode.ConfigUnsupported => "unsupported configuration: ",
        ErrorCode.InvalidArgument => "invalid argument: ",
        ErrorCode.InternalError => "internal error: ",
        ErrorCode.NoSupport => "this function is not supported by the connection driver: ",
        ErrorCode.ArgumentUnsupported => "argument unsupported: ",
        ErrorCode.StoragePoolBuilt => "Storage pool already built: ",
        ErrorCode.StorageProbeFailed => "Storage pool probe failed: ",
        ErrorCode.OperationDenied => "operation forbidden: ",
        ErrorCode.OperationUnsupported => "Operation not supported: ",
        ErrorCode.NoSecret => "Secret not found: ",
        ErrorCode.InvalidSecret => "Invalid secret: ",
        ErrorCode.OperationTimeout => "Timed out during operation: ",
        _ => "",
    };

    public static StorageException Xml(string message) => new(ErrorCode.XmlError, message);
    public static StorageException Invalid(string message) => new(ErrorCode.OperationInvalid, message);
    public static StorageException Failed(string message) => new(ErrorCode.OperationFailed, message);
    public static StorageException Internal(string message) => new(ErrorCode.InternalError, message);
    public static StorageException Unsupported(string message) => new(ErrorCode.ConfigUnsupported, message);
    public static StorageException NoSupport(string message) => new(ErrorCode.NoSupport, message);
    public static StorageException InvalidArg(string message) => new(ErrorCode.InvalidArgument, message);

    /// <summary>A system error: "&lt;what&gt;: &lt;strerror&gt;" with no prefix, as libvirt's virReportSystemError.</summary>
    public static StorageException System(string what, int errno) =>
        new(ErrorCode.None, $"{what}: {Errno.Describe(errno)}") { SystemErrno = errno };
}
