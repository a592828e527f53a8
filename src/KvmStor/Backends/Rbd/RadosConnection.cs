using System.Globalization;
using System.Security.Cryptography;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// One librados cluster connection and the I/O context of the pool's Ceph pool, kept between calls by
/// <see cref="RadosConnections"/> (a command uses it for its own calls; `kvmstor serve` for every call on the pool).
/// Both are thread-safe as used here: librados' rados_t is, and an I/O context is as long as nobody changes its
/// settings (snapshot, namespace, locator), which kvmstor never does. A call that timed out marks the connection
/// abandoned: librados may still be inside it, so its handles are never released, neither by kvmstor nor by a finalizer
/// (<see cref="RadosClusterHandle.KeepUnowned"/>, and an I/O context is never owned). A call that failed with a
/// connection error marks it broken; <see cref="Close"/> then ends it once no call uses it.
/// </summary>
internal sealed unsafe class RadosConnection : IKeptConnection
{
    private int _state = (int)KeptConnectionState.Healthy;

    /// <summary>Takes the handles of a made connection (made by <see cref="Connect"/>; tests pass made-up ones and never close them).</summary>
    internal RadosConnection(RadosClusterHandle cluster, RadosIoContextHandle ioctx, string poolName, string monitors)
    {
        Cluster = cluster;
        IoContext = ioctx;
        PoolName = poolName;
        Monitors = monitors;
    }

    public RadosClusterHandle Cluster { get; }
    public RadosIoContextHandle IoContext { get; }
    /// <summary>The Ceph pool (&lt;source&gt;&lt;name&gt;).</summary>
    public string PoolName { get; }
    public string Monitors { get; }

    public KeptConnectionState State => (KeptConnectionState)Volatile.Read(ref _state);

    /// <summary>
    /// Runs a call that waits for the cluster within the network bound. librados calls cannot be cancelled, so this
    /// stays a bounded thread (NetworkTimeout) that is left behind on timeout, and the connection is abandoned. A
    /// result or error that says the connection is lost marks it broken: the next call gets a new one.
    /// </summary>
    public T Call<T>(string what, Func<T> operation)
    {
        T result;
        try
        {
            result = NetworkTimeout.Run(what, operation);
        }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout)
        {
            Mark(KeptConnectionState.Abandoned);
            LibradosProcessExit.Register();
            throw;
        }
        catch (StorageException e) when (e.SystemErrno is { } errno && RbdErrors.IsConnectionLoss(errno))
        {
            Mark(KeptConnectionState.Broken);
            throw;
        }
        if (result is int rc && rc < 0 && RbdErrors.IsConnectionLoss(-rc)
            || result is long rc64 && rc64 < 0 && RbdErrors.IsConnectionLoss((int)-rc64))
            Mark(KeptConnectionState.Broken);
        return result;
    }

    public void Call(string what, Action operation) => Call(what, () => { operation(); return true; });

    /// <summary>rados_cluster_stat (capacity, available) and the pool's bytes used. Without a mgr Ceph reports zeros.</summary>
    public (ulong Capacity, ulong Available, ulong PoolBytes) Statistics() => Call($"RADOS statistics of pool '{PoolName}'", () =>
    {
        RbdNative.ClusterStat cluster;
        int rc = RbdNative.rados_cluster_stat(Cluster, &cluster);
        if (rc < 0) throw RbdErrors.Failure("failed to stat the RADOS cluster", rc);
        ulong* pool = stackalloc ulong[64];
        rc = RbdNative.rados_ioctx_pool_stat(IoContext, pool);
        if (rc < 0) throw RbdErrors.Failure($"failed to stat the RADOS pool '{PoolName}'", rc);
        return (cluster.Kb * 1024, cluster.KbAvail * 1024, pool[0]);
    });

    /// <summary>
    /// Destroys the I/O context and shuts the cluster connection down, within the network bound: nothing waits inside
    /// librados any more (no call uses the connection, none timed out), but a shutdown talks to the monitor. One that
    /// does not return in time is left behind like a timed-out call. Never throws.
    /// </summary>
    public void Close()
    {
        if (State == KeptConnectionState.Abandoned) return;
        try
        {
            NetworkTimeout.Run($"closing the RADOS connection to {Monitors}", () =>
            {
                IoContext.Destroy();
                Cluster.ShutDown();
            });
        }
        catch (StorageException)
        {
            LibradosProcessExit.Register();
        }
    }

    private void Mark(KeptConnectionState state)
    {
        // Only worse: a broken connection may still be abandoned by another call, never the other way round.
        int seen;
        do seen = Volatile.Read(ref _state);
        while ((int)state > seen && Interlocked.CompareExchange(ref _state, (int)state, seen) != seen);
    }

    /// <summary>
    /// librados' own timeouts are set to the same bound as kvmstor's: when librados' fires first (a loaded machine
    /// decides which), it is the same timeout and reads the same, not "failed to connect … Connection timed out".
    /// </summary>
    private static StorageException BoundReachedByLibrados(string what) => NetworkTimeout.TimedOut(what, NetworkTimeout.Limit);

    /// <summary>
    /// Connects to the monitors of <paramref name="pool"/> with <paramref name="secret"/> (the cephx key behind its
    /// &lt;auth&gt;, null without one; wiped here) and opens its Ceph pool, each step within the network bound.
    /// </summary>
    public static RadosConnection Connect(PoolDefinition pool, byte[]? secret, string poolName, string monitors)
    {
        var auth = pool.Source.Auth;
        int rc = RbdNative.rados_create(out RadosClusterHandle cluster, auth?.Username);
        if (rc < 0)
        {
            cluster.Abandon(); // whatever a failed rados_create left is not shut down, as ever
            throw RbdErrors.Failure(auth is null ? "failed to create the RADOS cluster" : "failed to initialize RADOS", rc);
        }
        LibradosProcessExit.Register(); // librados lives in this process from now on
        bool connected = false;
        try
        {
            if (auth is not null)
            {
                SetKey(cluster, secret ?? throw StorageException.Internal("no cephx key for the pool's <auth>"));
                Set(cluster, "auth_supported", "cephx");
            }
            else Set(cluster, "auth_supported", "none");
            Set(cluster, "mon_host", monitors);
            // librados' own bounds, so its calls return ETIMEDOUT instead of waiting for ever on a dead cluster.
            string seconds = Math.Max(1, (int)Math.Ceiling(NetworkTimeout.Limit.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            Set(cluster, "client_mount_timeout", seconds);
            Set(cluster, "rados_mon_op_timeout", seconds);
            Set(cluster, "rados_osd_op_timeout", seconds);
            Set(cluster, "rbd_default_format", "2");
            // Listing opens many images at once; a cache per open image would cost a thread each, for nothing.
            Set(cluster, "rbd_cache", "false");
            foreach (var option in pool.RbdConfigOptions)
                Set(cluster, option.Name, option.Value);

            string connecting = $"connecting to the RADOS monitor on: {monitors}";
            NetworkTimeout.Run(connecting, () =>
            {
                int result = RbdNative.rados_connect(cluster);
                if (result == -RbdErrors.ETIMEDOUT) throw BoundReachedByLibrados(connecting);
                if (result < 0) throw RbdErrors.Failure($"failed to connect to the RADOS monitor on: {monitors}", result);
            });
            connected = true;
            RadosIoContextHandle ioctx = null!;
            string opening = $"opening RADOS pool '{poolName}'";
            NetworkTimeout.Run(opening, () =>
            {
                int result = RbdNative.rados_ioctx_create(cluster, poolName, out ioctx);
                if (result == -RbdErrors.ETIMEDOUT) throw BoundReachedByLibrados(opening);
                if (result < 0) throw RbdErrors.Failure($"failed to create the RBD IoCTX. Does the pool '{poolName}' exist?", result);
            });
            return new RadosConnection(cluster.KeepUnowned(), ioctx, poolName, monitors);
        }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout)
        {
            cluster.Abandon(); // librados may still be inside it on the timed-out call's thread
            LibradosProcessExit.Register();
            throw;
        }
        catch (StorageException e)
        {
            // Safe to shut down only when nothing is left waiting inside librados.
            if (!connected || e.Message.Contains("IoCTX", StringComparison.Ordinal)) cluster.Dispose();
            else cluster.Abandon();
            throw;
        }
        catch
        {
            cluster.Abandon(); // an unexpected failure leaves the cluster alone, as ever
            throw;
        }
    }

    private static void Set(RadosClusterHandle cluster, string option, string value)
    {
        if (RbdNative.rados_conf_set(cluster, option, value) < 0)
            throw StorageException.Internal($"failed to set RADOS option: {option}");
    }

    /// <summary>The cephx key in base64, NUL-terminated in a buffer that is wiped afterwards; it never becomes a string.</summary>
    private static void SetKey(RadosClusterHandle cluster, byte[] secret)
    {
        int length = (secret.Length + 2) / 3 * 4;
        byte[] key = new byte[length + 1];
        try
        {
            if (!System.Buffers.Text.Base64.EncodeToUtf8(secret, key, out _, out int written).Equals(System.Buffers.OperationStatus.Done) || written != length)
                throw StorageException.Internal("failed to encode the RADOS key");
            fixed (byte* value = key)
                if (RbdNative.rados_conf_set_bytes(cluster, "key", value) < 0)
                    throw StorageException.Internal("failed to set RADOS option: key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
