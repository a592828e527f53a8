using KvmStor.Server.Protocol;

namespace KvmStor.Server.Dispatch;

/// <summary>
/// The one table from the engine's error kinds to libvirt's error numbers (§2.2). The domain is the calling
/// procedure's family (storage or secret), as libvirt's drivers report under their own domain.
/// </summary>
public static class EngineErrors
{
    private static readonly string[] XmlDocumentNames = ["(storage_pool_definition)", "(storage_vol_definition)", "(definition_of_secret)", "(storage_pool_source)"];

    public static int Number(ErrorCode code) => code switch
    {
        ErrorCode.NoStoragePool => ErrorNumbers.NoStoragePool,
        ErrorCode.NoStorageVolume => ErrorNumbers.NoStorageVol,
        ErrorCode.OperationInvalid => ErrorNumbers.OperationInvalid,
        ErrorCode.OperationFailed => ErrorNumbers.OperationFailed,
        ErrorCode.XmlError => ErrorNumbers.XmlError,
        ErrorCode.ConfigUnsupported => ErrorNumbers.ConfigUnsupported,
        ErrorCode.InvalidArgument => ErrorNumbers.InvalidArg,
        ErrorCode.InternalError => ErrorNumbers.InternalError,
        ErrorCode.NoSupport => ErrorNumbers.NoSupport,
        ErrorCode.ArgumentUnsupported => ErrorNumbers.ArgumentUnsupported,
        ErrorCode.StorageVolumeExists => ErrorNumbers.StorageVolExist,
        ErrorCode.StoragePoolBuilt => ErrorNumbers.StoragePoolBuilt,
        ErrorCode.StorageProbeFailed => ErrorNumbers.StorageProbeFailed,
        ErrorCode.OperationDenied => ErrorNumbers.OperationDenied,
        ErrorCode.OperationUnsupported => ErrorNumbers.OperationUnsupported,
        ErrorCode.NoSecret => ErrorNumbers.NoSecret,
        ErrorCode.InvalidSecret => ErrorNumbers.InvalidSecret,
        ErrorCode.OperationTimeout => ErrorNumbers.OperationTimeout,
        _ => ErrorNumbers.SystemError,
    };

    public static RemoteError ToRemote(StorageException e, int domain)
    {
        // The CLI-level lookup failure carries the engine's reason; a client wants the reason.
        if (e is Engine.LookupFailedException { Reason: { } reason }) e = reason;
        if (e.Code == ErrorCode.StorageVolumeExists && QuotedName(e.Message) is { } name)
            return new RemoteError(ErrorNumbers.StorageVolExist, domain, e.Message, "storage volume %s exists already", name);
        if (e.Code == ErrorCode.None)
        {
            // Malformed XML: libvirt's XML_DETAIL, the parser's line as the whole message.
            int number = XmlDocumentNames.Any(e.Message.StartsWith) ? ErrorNumbers.XmlDetail : ErrorNumbers.SystemError;
            return RemoteError.Make(number, domain, "", e.Message, SystemErrno(e));
        }
        return RemoteError.Make(Number(e.Code), domain, StorageException.Prefix(e.Code), e.Message);
    }

    /// <summary>The errno of a system error when the engine's message ends with a known strerror text (int1 of §2.1).</summary>
    private static int SystemErrno(StorageException e) =>
        e.Message.EndsWith(": No space left on device", StringComparison.Ordinal) ? 28 : -1;

    private static string? QuotedName(string message)
    {
        int first = message.IndexOf('\'');
        int last = message.LastIndexOf('\'');
        return first >= 0 && last > first ? message[first..(last + 1)] : null;
    }
}
