using System.Security.Cryptography;
using KvmStor.Backends.Devices;
using KvmStor.Backends.Scsi;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Iscsi;

/// <summary>
/// An iSCSI target's LUNs through the kernel initiator (libvirt's "iscsi" pool, spec §3.5): start logs in with
/// iscsiadm (node record, CHAP, custom initiator interface), stop logs out, refresh rescans the session and lists
/// the disk LUNs from sysfs as volumes unit:B:T:L under their stable /dev/disk/by-path names.
/// </summary>
public sealed partial class IscsiPoolBackend : DeviceVolumeBackend, IPoolBackend, IPoolChecker, IPoolStarter, IPoolStopper, ISourceFinder
{
    private readonly ICommandRunner _runner;
    private readonly IPoolSecrets _secrets;
    private readonly IscsiHostPaths _paths;
    private readonly IscsiAdm _iscsiadm;
    private readonly IscsiInterfaces _interfaces;
    private readonly ScsiLunVolumes _luns;
    private readonly ScsiSerial _serials;

    public IscsiPoolBackend(ICommandRunner runner, IPoolSecrets secrets) : this(runner, secrets, IscsiHostPaths.System) { }

    /// <param name="networkLimit">Bound on discovery, login, logout and rescan; null: <see cref="NetworkTimeout.Limit"/>.</param>
    public IscsiPoolBackend(ICommandRunner runner, IPoolSecrets secrets, IscsiHostPaths paths, TimeSpan? networkLimit = null) : base(paths.Roots)
    {
        _runner = runner;
        _secrets = secrets;
        _paths = paths;
        _iscsiadm = new IscsiAdm(runner, networkLimit);
        _interfaces = new IscsiInterfaces(_iscsiadm);
        _luns = new ScsiLunVolumes(Roots);
        _serials = new ScsiSerial(runner);
    }

    public PoolType Type => PoolType.Iscsi;

    /// <summary>Running while the kernel holds a session to the target (read from sysfs, no process).</summary>
    public bool CheckActive(PoolDefinition pool) => IscsiSession.FromSysfs(Roots, IscsiPortal.Of(pool.Source).Target) is not null;

    /// <summary>
    /// Logs in unless a session to the target exists. Same iscsiadm calls as libvirt, in one different order: the
    /// custom initiator's interface (and its node records) is made before the CHAP settings, so they reach its record
    /// too (libvirt sets CHAP first and its first login through a new interface goes without it).
    /// </summary>
    public void Start(PoolDefinition pool)
    {
        var portal = IscsiPortal.Of(pool.Source);
        _iscsiadm.RequireInstalled();
        if (_iscsiadm.FindSession(portal.Target, out _) is not null) return;
        string? iface = pool.Source.InitiatorIqn is { } iqn ? _interfaces.Ensure(iqn, portal.Argument) : null;
        _iscsiadm.CreateNode(portal.Argument, portal.Target);
        if (pool.Source.Auth is { } auth) SetChap(pool, auth, portal);
        _iscsiadm.LogIn(portal.Argument, portal.Target, iface);
    }

    /// <summary>Logs out; a pool whose session is already gone stops without a word, as in libvirt.</summary>
    public void Stop(PoolDefinition pool)
    {
        var portal = IscsiPortal.Of(pool.Source);
        _iscsiadm.RequireInstalled();
        if (_iscsiadm.FindSession(portal.Target, out _) is null) return;
        // libvirt would create a missing interface just to log out through it; the session does not need one.
        string? iface = pool.Source.InitiatorIqn is { } iqn ? _interfaces.Find(iqn) : null;
        _iscsiadm.LogOut(portal.Argument, portal.Target, iface);
    }

    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        var portal = IscsiPortal.Of(pool.Source);
        _iscsiadm.RequireInstalled();
        var session = _iscsiadm.RequireSession(portal.Target);
        _iscsiadm.RescanSession(session.Id);
        WaitForUdev();
        var volumes = Scan(pool, session).Select(v => WithKey(pool, v)).ToList();
        return RefreshOf(volumes) with { Source = IscsiPortal.WithPort(pool.Source) };
    }

    public IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml) => new IscsiSourceFinder(_iscsiadm, _interfaces).FindSources(sourceSpecXml);

    /// <summary>
    /// CHAP from the pool's &lt;auth&gt;: method and user name through iscsiadm (as libvirt), the password straight into
    /// the node records (<see cref="IscsiNodeRecords"/>) so it never appears in a process's arguments.
    /// </summary>
    private void SetChap(PoolDefinition pool, PoolAuth auth, IscsiPortal portal)
    {
        if (auth.Type != AuthType.Chap) throw StorageException.Xml("iscsi pool only supports 'chap' auth type");
        byte[] password = _secrets.ValueFor(pool, auth);
        try
        {
            _iscsiadm.UpdateNodeSetting(portal.Argument, portal.Target, "node.session.auth.authmethod", "CHAP");
            _iscsiadm.UpdateNodeSetting(portal.Argument, portal.Target, "node.session.auth.username", auth.Username);
            new IscsiNodeRecords(_paths.NodesDirectory).StorePassword(portal, password);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }

    /// <summary>New LUNs get their /dev/disk/by-path links from udev after the rescan (libvirt waits the same way).</summary>
    private void WaitForUdev()
    {
        if (_runner.Exists("udevadm")) _runner.Run(new CommandLine("udevadm", "settle"));
    }
}
