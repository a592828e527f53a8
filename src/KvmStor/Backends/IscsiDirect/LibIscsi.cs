using System.Runtime.InteropServices;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// The part of libiscsi (Debian's libiscsi7) that iscsi-direct pools use. The library is bound by its versioned soname
/// and only on first use, so a host without it runs every other pool type; <see cref="EnsureLoaded"/> turns its
/// absence into one clear error. SCSI commands are built here as raw CDBs (scsi_create_task) and their data lands in
/// our own buffers, so no libiscsi struct layout beyond two public ones (iscsi_data, discovery list) is relied on.
/// The context is an <see cref="IscsiContextHandle"/>: it cannot be freed while a call is inside it, nor ever once
/// abandoned; the functions that free it take the plain pointer from its release.
/// </summary>
internal static unsafe partial class LibIscsi
{
    internal const string Soname = "libiscsi.so.7";
    internal const string DebianPackage = "libiscsi7";

    internal const int SessionDiscovery = 1, SessionNormal = 2;
    internal const int XferNone = 0, XferRead = 1, XferWrite = 2;
    internal const int StatusGood = 0, StatusCheckCondition = 2, StatusConditionMet = 4;
    /// <summary>SCSI_STATUS_TIMEOUT: libiscsi gave up waiting (iscsi_set_timeout).</summary>
    internal const int StatusTimeout = 0x0F000002;

    private static readonly Lazy<bool> Available = new(() => NativeLibrary.TryLoad(Soname, typeof(LibIscsi).Assembly, null, out _));

    /// <summary>Throws a clear error naming the package when libiscsi cannot be loaded.</summary>
    internal static void EnsureLoaded()
    {
        if (!Available.Value)
            throw StorageException.NoSupport(
                $"iscsi-direct pools need libiscsi ({Soname}), which is not installed: install the Debian package {DebianPackage}");
    }

    /// <summary>struct iscsi_data: a data-out buffer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct IscsiData
    {
        public nuint Size;
        public byte* Data;
    }

    /// <summary>struct iscsi_discovery_address: one target of a SendTargets answer (portals list unused).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct DiscoveryAddress
    {
        public DiscoveryAddress* Next;
        public byte* TargetName;
        public nint Portals;
    }

    [LibraryImport(Soname, EntryPoint = "iscsi_create_context", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IscsiContextHandle CreateContext(string initiatorName);

    [LibraryImport(Soname, EntryPoint = "iscsi_destroy_context")]
    internal static partial int DestroyContext(nint context);

    /// <summary>A plain pointer: an abandoned context's error is read too (see <see cref="IscsiContextHandle.LastError"/>).</summary>
    [LibraryImport(Soname, EntryPoint = "iscsi_get_error")]
    internal static partial byte* GetError(nint context);

    [LibraryImport(Soname, EntryPoint = "iscsi_set_targetname", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SetTargetName(IscsiContextHandle context, string targetName);

    [LibraryImport(Soname, EntryPoint = "iscsi_set_session_type")]
    internal static partial int SetSessionType(IscsiContextHandle context, int sessionType);

    [LibraryImport(Soname, EntryPoint = "iscsi_set_initiator_username_pwd")]
    internal static partial int SetInitiatorUsernamePassword(IscsiContextHandle context, byte* user, byte* password);

    /// <summary>ISID of the "random" format: 24 random bits and a 16-bit qualifier.</summary>
    [LibraryImport(Soname, EntryPoint = "iscsi_set_isid_random")]
    internal static partial int SetIsidRandom(IscsiContextHandle context, int random, uint qualifier);

    [LibraryImport(Soname, EntryPoint = "iscsi_set_timeout")]
    internal static partial int SetTimeout(IscsiContextHandle context, int seconds);

    [LibraryImport(Soname, EntryPoint = "iscsi_set_noautoreconnect")]
    internal static partial void SetNoAutoReconnect(IscsiContextHandle context, int state);

    [LibraryImport(Soname, EntryPoint = "iscsi_connect_sync", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ConnectSync(IscsiContextHandle context, string portal);

    [LibraryImport(Soname, EntryPoint = "iscsi_login_sync")]
    internal static partial int LoginSync(IscsiContextHandle context);

    [LibraryImport(Soname, EntryPoint = "iscsi_logout_sync")]
    internal static partial int LogoutSync(IscsiContextHandle context);

    [LibraryImport(Soname, EntryPoint = "iscsi_disconnect")]
    internal static partial int Disconnect(nint context);

    [LibraryImport(Soname, EntryPoint = "iscsi_discovery_sync")]
    internal static partial DiscoveryAddress* DiscoverySync(IscsiContextHandle context);

    [LibraryImport(Soname, EntryPoint = "iscsi_free_discovery_data")]
    internal static partial void FreeDiscoveryData(IscsiContextHandle context, DiscoveryAddress* addresses);

    [LibraryImport(Soname, EntryPoint = "scsi_create_task")]
    internal static partial nint CreateTask(int cdbSize, byte* cdb, int xferDirection, int expectedTransferLength);

    [LibraryImport(Soname, EntryPoint = "scsi_task_add_data_in_buffer")]
    internal static partial int AddDataInBuffer(nint task, int length, byte* buffer);

    [LibraryImport(Soname, EntryPoint = "iscsi_scsi_command_sync")]
    internal static partial nint ScsiCommandSync(IscsiContextHandle context, int lun, nint task, IscsiData* data);

    /// <summary>Returns the SCSI status and copies struct scsi_sense (error_type, key at +4, ascq at +8) into <paramref name="sense"/>.</summary>
    [LibraryImport(Soname, EntryPoint = "scsi_task_get_status")]
    internal static partial int TaskGetStatus(nint task, byte* sense);

    [LibraryImport(Soname, EntryPoint = "scsi_free_scsi_task")]
    internal static partial void FreeTask(nint task);

    [LibraryImport(Soname, EntryPoint = "scsi_sense_key_str")]
    internal static partial byte* SenseKeyString(int key);

    [LibraryImport(Soname, EntryPoint = "scsi_sense_ascq_str")]
    internal static partial byte* SenseAscqString(int ascq);

    internal static string Text(byte* s) => s is null ? "" : Marshal.PtrToStringUTF8((nint)s) ?? "";
}
