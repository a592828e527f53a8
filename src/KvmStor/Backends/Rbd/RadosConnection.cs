using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// One librados cluster connection and the I/O context of the pool's Ceph pool. A kvmstor command is one process, so
/// a connection is made at most once per pool per process and kept until the process ends (a bench or a long-lived
/// caller reuses it). A connection that timed out is dropped and never shut down: librados may still hold it. So the
/// handles of a made connection are never released (<see cref="RadosClusterHandle.KeepForProcess"/>, and an I/O context
/// is never owned), neither by kvmstor nor by a finalizer.
/// </summary>
internal sealed unsafe class RadosConnection
{
    private static readonly ConcurrentDictionary<string, RadosConnection> Open = new();

    private RadosConnection(string identity, RadosClusterHandle cluster, RadosIoContextHandle ioctx, string poolName, string monitors)
    {
        Identity = identity;
        Cluster = cluster;
        IoContext = ioctx;
        PoolName = poolName;
        Monitors = monitors;
    }

    private string Identity { get; }
    public RadosClusterHandle Cluster { get; }
    public RadosIoContextHandle IoContext { get; }
    /// <summary>The Ceph pool (&lt;source&gt;&lt;name&gt;).</summary>
    public string PoolName { get; }
    public string Monitors { get; }

    /// <summary>The connection for <paramref name="pool"/>, made now if this process has none yet.</summary>
    public static RadosConnection For(PoolDefinition pool, IPoolSecrets secrets)
    {
        string poolName = pool.Source.Name ?? throw StorageException.Xml("element 'name' is mandatory for RBD pool");
        string monitors = RbdMonitorHosts.Format(pool.Source.Hosts);
        RbdLibrary.Require();
        string identity = IdentityOf(pool, monitors);
        if (Open.TryGetValue(identity, out var existing)) return existing;
        var made = Connect(pool, secrets, poolName, monitors, identity);
        return Open.GetOrAdd(identity, made);
    }

    /// <summary>
    /// Runs a call that waits for the cluster within the network bound; on timeout the connection is forgotten.
    /// librados calls cannot be cancelled, so this stays a bounded thread (NetworkTimeout) that is left behind.
    /// </summary>
    public T Call<T>(string what, Func<T> operation)
    {
        try
        {
            return NetworkTimeout.Run(what, operation);
        }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout)
        {
            // Forgotten, not shut down: its handles are never released (librados may still be inside them).
            Open.TryRemove(new KeyValuePair<string, RadosConnection>(Identity, this));
            RbdAbandonedCalls.Mark();
            throw;
        }
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

    private static RadosConnection Connect(PoolDefinition pool, IPoolSecrets secrets, string poolName, string monitors, string identity)
    {
        var auth = pool.Source.Auth;
        int rc = RbdNative.rados_create(out RadosClusterHandle cluster, auth?.Username);
        if (rc < 0)
        {
            cluster.Abandon(); // whatever a failed rados_create left is not shut down, as ever
            throw RbdErrors.Failure(auth is null ? "failed to create the RADOS cluster" : "failed to initialize RADOS", rc);
        }
        bool connected = false;
        try
        {
            if (auth is not null)
            {
                SetKey(cluster, secrets.ValueFor(pool, auth));
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

            NetworkTimeout.Run($"connecting to the RADOS monitor on: {monitors}", () =>
            {
                int result = RbdNative.rados_connect(cluster);
                if (result < 0) throw RbdErrors.Failure($"failed to connect to the RADOS monitor on: {monitors}", result);
            });
            connected = true;
            RadosIoContextHandle ioctx = null!;
            NetworkTimeout.Run($"opening RADOS pool '{poolName}'", () =>
            {
                int result = RbdNative.rados_ioctx_create(cluster, poolName, out ioctx);
                if (result < 0) throw RbdErrors.Failure($"failed to create the RBD IoCTX. Does the pool '{poolName}' exist?", result);
            });
            return new RadosConnection(identity, cluster.KeepForProcess(), ioctx, poolName, monitors);
        }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout)
        {
            cluster.Abandon(); // librados may still be inside it on the timed-out call's thread
            RbdAbandonedCalls.Mark();
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

    /// <summary>What makes two pools share a connection: monitors, user, secret reference, options and the Ceph pool.</summary>
    private static string IdentityOf(PoolDefinition pool, string monitors)
    {
        var text = new StringBuilder().Append(monitors).Append('\n').Append(pool.Source.Name).Append('\n');
        if (pool.Source.Auth is { } auth)
            text.Append(auth.Username).Append('\n').Append(auth.SecretUuid).Append('\n').Append(auth.SecretUsage).Append('\n');
        foreach (var option in pool.RbdConfigOptions) text.Append(option.Name).Append('=').Append(option.Value).Append('\n');
        return text.ToString();
    }
}
