using System.Globalization;
using KvmStor.Host;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>The outcome of one SCSI command: its status and, for CHECK CONDITION, the sense key and ASC/ASCQ.</summary>
internal readonly record struct ScsiResult(int Status, int SenseKey, int Ascq)
{
    public bool Good => Status is LibIscsi.StatusGood or LibIscsi.StatusConditionMet;
    /// <summary>ILLEGAL REQUEST: the target does not know the command or a field of it (e.g. no WRITE SAME).</summary>
    public bool IllegalRequest => Status == LibIscsi.StatusCheckCondition && SenseKey == 5;
    public bool UnitAttention => Status == LibIscsi.StatusCheckCondition && SenseKey == 6;
}

/// <summary>
/// One logged-in iSCSI session through libiscsi, for the span of one kvmstor command: open logs in, dispose logs out.
/// Every call that waits on the target is bounded by KVMSTOR_NETWORK_TIMEOUT (<see cref="BoundedCallThread"/>) (libiscsi's own task timeout is set
/// to the same bound); after a call ran out of time the context is left alone, since libiscsi may still be inside it:
/// its <see cref="IscsiContextHandle"/> is abandoned, so neither dispose nor a finalizer frees it.
/// Not thread-safe: one caller at a time, as libiscsi's contexts require.
/// </summary>
internal sealed unsafe class IscsiSession : IDisposable
{
    private readonly BoundedCallThread _calls = new();
    private IscsiContextHandle? _context;
    private bool _loggedIn;
    private bool _abandoned;

    public IscsiLogin Login { get; }

    private IscsiSession(IscsiLogin login) => Login = login;

    /// <summary>Connects and logs in (a normal session for a target, a discovery session when it names none).</summary>
    public static IscsiSession Open(IscsiLogin login)
    {
        LibIscsi.EnsureLoaded();
        var session = new IscsiSession(login);
        try
        {
            session.Connect();
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private void Connect()
    {
        string portal = Login.Portal.ToString();
        var context = _context = LibIscsi.CreateContext(Login.InitiatorIqn);
        if (context.IsInvalid)
            throw StorageException.Internal($"Failed to create iscsi context for {Login.InitiatorIqn}");
        if (Login.TargetIqn is { } target)
        {
            if (LibIscsi.SetTargetName(context, target) < 0)
                throw StorageException.Internal($"Failed to set target name: {Error()}");
        }
        if (LibIscsi.SetSessionType(context, Login.TargetIqn is null ? LibIscsi.SessionDiscovery : LibIscsi.SessionNormal) < 0)
            throw StorageException.Internal($"Failed to set session type: {Error()}");
        // Parallel sessions of one initiator must differ in ISID, or the target takes each login for a reinstatement of
        // the last and drops it; libiscsi's own pick may repeat within one process.
        if (LibIscsi.SetIsidRandom(context, Random.Shared.Next(1 << 24), (uint)Random.Shared.Next(1 << 16)) < 0)
            throw StorageException.Internal($"Failed to set the session's ISID: {Error()}");
        if (Login.ChapUser is { } user) SetChap(user, Login.ChapPassword ?? []);
        // A lost connection fails the command instead of reconnecting behind our back.
        LibIscsi.SetNoAutoReconnect(context, 1);
        // libiscsi's own task timeout is a second behind ours: it only frees the call thread once ours has fired.
        LibIscsi.SetTimeout(context, (int)Math.Ceiling(NetworkTimeout.Limit.TotalSeconds) + 1);

        if (Bounded($"iSCSI connect to {portal}", () => LibIscsi.ConnectSync(context, portal)) != 0)
            throw StorageException.Internal($"Failed to connect to {portal}: {Error()}");
        if (Bounded($"iSCSI login to {Login}", () => LibIscsi.LoginSync(context)) != 0)
            throw StorageException.Internal($"Failed to login to iSCSI target {Login}: {Error()}");
        _loggedIn = true;
    }

    /// <summary>Hands libiscsi NUL-terminated copies of the CHAP user and password and clears the password copy at once.</summary>
    private void SetChap(string user, byte[] password)
    {
        byte[] userZ = new byte[System.Text.Encoding.UTF8.GetByteCount(user) + 1];
        System.Text.Encoding.UTF8.GetBytes(user, userZ);
        byte[] passwordZ = new byte[password.Length + 1];
        try
        {
            password.CopyTo(passwordZ, 0);
            int rc;
            fixed (byte* u = userZ)
            fixed (byte* p = passwordZ)
                rc = LibIscsi.SetInitiatorUsernamePassword(_context!, u, p);
            if (rc < 0) throw StorageException.Internal($"Failed to set initiator username and password for {Login}");
        }
        finally
        {
            Array.Clear(passwordZ);
            Array.Clear(password); // the caller's copy is needed only once
        }
    }

    /// <summary>The names of the targets a discovery session's portal offers (SendTargets).</summary>
    public IReadOnlyList<string> DiscoverTargets()
    {
        var addresses = Bounded($"iSCSI discovery on {Login.Portal}", () => (nint)LibIscsi.DiscoverySync(_context!));
        if (addresses == 0) throw StorageException.Internal($"Failed to discover session: {Error()}");
        var names = new List<string>();
        for (var a = (LibIscsi.DiscoveryAddress*)addresses; a != null; a = a->Next)
            if (a->TargetName != null) names.Add(LibIscsi.Text(a->TargetName));
        LibIscsi.FreeDiscoveryData(_context!, (LibIscsi.DiscoveryAddress*)addresses);
        return names.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Sends one CDB to <paramref name="lun"/>. Data-in lands in <paramref name="buffer"/>[offset..offset+length], data-out
    /// is taken from there. A transport failure (connection lost, target gone) throws; a SCSI status comes back.
    /// </summary>
    public ScsiResult Execute(string what, int lun, byte[] cdb, int direction, byte[]? buffer = null, int offset = 0, int length = 0)
    {
        if (buffer is not null && (offset < 0 || length < 0 || offset + length > buffer.Length))
            throw new ArgumentOutOfRangeException(nameof(length));
        // A fresh login (and any target-side change) reports UNIT ATTENTION once per LUN: that is news, not failure.
        for (int attempt = 0; ; attempt++)
        {
            var result = ExecuteOnce(what, lun, cdb, direction, buffer, offset, length);
            if (!result.UnitAttention || attempt == MaxUnitAttentionRetries) return result;
        }
    }

    private const int MaxUnitAttentionRetries = 4;

    private ScsiResult ExecuteOnce(string what, int lun, byte[] cdb, int direction, byte[]? buffer, int offset, int length)
    {
        // A lost session's context may still hold an earlier command: its task, its data buffer (pinned only during that
        // call) and libiscsi's wait state on this thread's stack. Driving the context again could complete that command
        // into memory long since reused, so a later command fails here without touching libiscsi.
        if (_abandoned) throw StorageException.Internal($"iSCSI {what} failed on {Login}: {Error()}");
        return Bounded($"iSCSI {what} on {Login} LUN {lun.ToString(CultureInfo.InvariantCulture)}", () =>
        {
            byte* sense = stackalloc byte[64];
            fixed (byte* c = cdb)
            fixed (byte* b = buffer)
            {
                nint task = LibIscsi.CreateTask(cdb.Length, c, direction, length);
                if (task == 0) throw StorageException.Internal($"Failed to create a SCSI task for {what}");
                LibIscsi.IscsiData data = default;
                if (direction == LibIscsi.XferRead && length > 0 && LibIscsi.AddDataInBuffer(task, length, b + offset) != 0)
                {
                    LibIscsi.FreeTask(task);
                    throw StorageException.Internal($"Failed to add a data buffer for {what}");
                }
                if (direction == LibIscsi.XferWrite) data = new LibIscsi.IscsiData { Size = (nuint)length, Data = b + offset };
                nint done;
                try
                {
                    done = LibIscsi.ScsiCommandSync(_context!, lun, task, direction == LibIscsi.XferWrite ? &data : null);
                }
                catch (ObjectDisposedException)
                {
                    // Abandoned after the check above (a lane gave up on the target): the command was never sent.
                    LibIscsi.FreeTask(task);
                    throw StorageException.Internal($"iSCSI {what} failed on {Login}: {Error()}");
                }
                if (done == 0)
                {
                    // The task may still be queued inside the context: neither may be freed now.
                    AbandonContext();
                    throw StorageException.Internal($"iSCSI {what} failed on {Login}: {Error()}");
                }
                int status = LibIscsi.TaskGetStatus(done, sense);
                LibIscsi.FreeTask(done);
                // libiscsi's own statuses (timeout, cancelled, error) sit above every SCSI status: the connection is gone.
                if (status >= 0x0F000000) AbandonContext();
                if (status == LibIscsi.StatusTimeout)
                    throw new StorageException(ErrorCode.OperationTimeout, $"iSCSI {what} on {Login}: libiscsi's task timeout passed ({NetworkTimeout.EnvironmentVariable})");
                if (status >= 0x0F000000)
                    throw StorageException.Internal($"iSCSI {what} failed on {Login}: {Error()}");
                return new ScsiResult(status, *(int*)(sense + 4), *(int*)(sense + 8));
            }
        });
    }

    /// <summary>Throws libvirt-style "… failed: sense text" unless the command succeeded.</summary>
    public void Require(ScsiResult result, string what, int lun)
    {
        if (result.Good) return;
        string detail = result.Status == LibIscsi.StatusCheckCondition
            ? $"{LibIscsi.Text(LibIscsi.SenseKeyString(result.SenseKey))} ({LibIscsi.Text(LibIscsi.SenseAscqString(result.Ascq))})"
            : $"SCSI status 0x{result.Status:x2}";
        throw StorageException.Internal($"iSCSI {what} failed on {Login} LUN {lun.ToString(CultureInfo.InvariantCulture)}: {detail}");
    }

    private string Error() => _context?.LastError() ?? "";

    private T Bounded<T>(string what, Func<T> call)
    {
        try
        {
            return _calls.Run(what, call);
        }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout)
        {
            AbandonContext(); // libiscsi is still waiting inside the context on the worker thread
            throw;
        }
    }

    /// <summary>The target is known not to answer: dispose drops the session without logging out.</summary>
    public void Abandon() => AbandonContext();

    /// <summary>The session is never driven again and its context never freed (not by dispose, not by a finalizer).</summary>
    private void AbandonContext()
    {
        _abandoned = true;
        _context?.Abandon();
    }

    /// <summary>Logs out (bounded; a failure there loses nothing) and frees the context.</summary>
    public void Dispose()
    {
        try
        {
            Close();
        }
        finally
        {
            _calls.Dispose();
        }
    }

    private void Close()
    {
        if (_context is not { } context || _abandoned) return;
        try
        {
            if (_loggedIn) Bounded($"iSCSI logout from {Login}", () => LibIscsi.LogoutSync(context));
        }
        catch (StorageException)
        {
        }
        if (_abandoned) return;
        context.Dispose(); // iscsi_disconnect, iscsi_destroy_context
        _context = null;
    }
}
