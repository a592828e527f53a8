using KvmStor.Backends;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.State;
using KvmStor.Xml;

namespace KvmStor.Engine;

/// <summary>
/// The secret driver: definitions and values that pool &lt;auth&gt; refers to. Values are only ever returned by
/// <see cref="GetValue"/> / <see cref="GetValueForBackend"/>; no message or XML carries them. Backends
/// reach the values through <see cref="IPoolSecrets"/>. Every change is announced in the connection's secret event
/// log (as libvirt's secret driver raises its events), so a `kvmstor serve` of the same connection tells its
/// subscribers about changes made by any process.
/// </summary>
public sealed class SecretService : IPoolSecrets
{
    private readonly SecretStore _store;
    private readonly Func<FileLock> _lockSecrets;
    private readonly SecretEventLog _events;

    /// <param name="lockSecrets">the connection's secrets lock, held while the set of secrets changes</param>
    /// <param name="events">where each change is announced</param>
    internal SecretService(SecretStore store, Func<FileLock> lockSecrets, SecretEventLog events)
    {
        _store = store;
        _lockSecrets = lockSecrets;
        _events = events;
    }

    /// <summary>Secret events of any kvmstor process on this connection from now on; blocks until cancelled.</summary>
    public IEnumerable<SecretEvent> WatchEvents(CancellationToken cancel) => _events.Follow(cancel);

    /// <summary>Announced under the secrets lock, so the log's order is the order the changes were made in.</summary>
    private void Emit(SecretDefinition secret, SecretLifecycleEvent? lifecycle) => _events.Append(SecretEvent.Of(secret, lifecycle));

    private FileLock LockSecrets() => _lockSecrets();

    /// <summary>Defines a secret, or redefines the one with the same UUID (its usage must not change).</summary>
    public SecretDefinition Define(string xml)
    {
        var secret = SecretXml.Parse(xml);
        using var _ = LockSecrets();
        var store = _store;
        var existing = store.Load(secret.Uuid);
        if (existing is not null)
        {
            if (existing.UsageId != secret.UsageId)
                throw StorageException.Internal($"a secret with UUID {secret.Uuid:D} is already defined for use with {existing.UsageId}");
            if (existing.Private && !secret.Private)
                throw StorageException.Internal("cannot change private flag on existing secret");
        }
        else if (secret.UsageType != SecretUsageType.None && FindByUsage(store, secret.UsageType, secret.UsageId!) is { } sameUse)
        {
            throw StorageException.Internal($"a secret with UUID {sameUse.Uuid:D} already defined for use with {secret.UsageId}");
        }

        if (existing is not null && existing.Ephemeral != secret.Ephemeral)
        {
            // The files move between the persistent and the runtime directory; the value moves with them.
            byte[]? value = store.LoadValue(existing);
            store.Delete(existing.Uuid);
            store.Save(secret);
            if (value is not null) store.SaveValue(secret, value);
        }
        else
        {
            store.Save(secret);
        }
        // As libvirt: DEFINED for a new secret and for a redefinition alike.
        Emit(secret, SecretLifecycleEvent.Defined);
        return secret;
    }

    /// <summary>Removes a secret and its value. Takes its UUID or, as kvmstor's convenience, its usage ID.</summary>
    public SecretDefinition Undefine(string uuidOrUsage)
    {
        using var _ = LockSecrets();
        var store = _store;
        var secret = Resolve(store, uuidOrUsage);
        store.Delete(secret.Uuid);
        Emit(secret, SecretLifecycleEvent.Undefined);
        return secret;
    }

    /// <summary>Every secret, ordered by UUID as virsh lists them.</summary>
    public IReadOnlyList<SecretDefinition> List() =>
        [.. _store.LoadAll().OrderBy(s => s.Uuid.ToString("D"), StringComparer.Ordinal)];

    public SecretDefinition Lookup(string uuidOrUsage) => Resolve(_store, uuidOrUsage);

    public string GetXml(string uuidOrUsage) => SecretXml.Format(Lookup(uuidOrUsage));

    public void SetValue(string uuidOrUsage, byte[] value)
    {
        using var _ = LockSecrets();
        var store = _store;
        var secret = Resolve(store, uuidOrUsage);
        store.SaveValue(secret, value);
        Emit(secret, null);
    }

    /// <summary>A value for the user: refused for private secrets, as libvirt refuses them to its clients.</summary>
    public byte[] GetValue(string uuidOrUsage)
    {
        var secret = Lookup(uuidOrUsage);
        if (secret.Private)
            throw new StorageException(ErrorCode.InvalidSecret, "secret is private");
        return ValueOf(secret);
    }

    /// <summary>A value for a backend logging in (CHAP, cephx): private secrets are readable here.</summary>
    public byte[] GetValueForBackend(Guid uuid) =>
        ValueOf(_store.Load(uuid) ?? throw NoSecretWithUuid(uuid.ToString("D")));

    /// <summary>The secret a pool's &lt;auth&gt;&lt;secret usage='…'/&gt; names.</summary>
    public SecretDefinition LookupByUsage(SecretUsageType type, string usage) =>
        FindByUsage(_store, type, usage)
        ?? throw new StorageException(ErrorCode.NoSecret, $"no secret with matching usage '{usage}'");

    /// <summary>
    /// The value a pool's &lt;auth&gt; refers to, by UUID or by usage (CHAP looks among iscsi secrets, cephx among ceph
    /// secrets). For backends only: the value goes straight to the login and nowhere else.
    /// </summary>
    public byte[] ValueFor(PoolDefinition pool, PoolAuth auth) => ValueOf(SecretOf(pool, auth));

    /// <summary>
    /// The file holding the value of the secret a pool's &lt;auth&gt; names (base64, mode 0600), for qemu's secret objects:
    /// a guest's command line refers to it instead of carrying the value.
    /// </summary>
    public string ValueFileFor(PoolDefinition pool, PoolAuth auth)
    {
        var secret = SecretOf(pool, auth);
        string file = _store.ValueFile(secret);
        if (!File.Exists(file)) throw new StorageException(ErrorCode.NoSecret, $"secret '{secret.Uuid:D}' does not have a value");
        return file;
    }

    private SecretDefinition SecretOf(PoolDefinition pool, PoolAuth auth) =>
        auth.SecretUuid is { } uuid
            ? _store.Load(uuid) ?? throw NoSecretWithUuid(uuid.ToString("D"))
            : auth.SecretUsage is { } usage
                ? LookupByUsage(auth.Type == AuthType.Ceph ? SecretUsageType.Ceph : SecretUsageType.Iscsi, usage)
                : throw StorageException.Xml($"pool '{pool.Name}': <auth> has no <secret> with a uuid or usage");

    private byte[] ValueOf(SecretDefinition secret) =>
        _store.LoadValue(secret)
        ?? throw new StorageException(ErrorCode.NoSecret, $"secret '{secret.Uuid:D}' does not have a value");

    private static SecretDefinition? FindByUsage(SecretStore store, SecretUsageType type, string usage) =>
        store.LoadAll().FirstOrDefault(s => s.UsageType == type && s.UsageId == usage);

    private static SecretDefinition Resolve(SecretStore store, string uuidOrUsage)
    {
        if (PoolXmlReading.TryParseUuid(uuidOrUsage, out var uuid))
            return store.Load(uuid) ?? throw NoSecretWithUuid(uuidOrUsage);
        var byUsage = store.LoadAll().Where(s => s.UsageId == uuidOrUsage).Take(2).ToList();
        return byUsage.Count == 1 ? byUsage[0]
            : throw new StorageException(ErrorCode.None, "uuidstr in virSecretLookupByUUIDString must be a valid UUID");
    }

    private static StorageException NoSecretWithUuid(string text) =>
        new(ErrorCode.NoSecret, $"no secret with matching uuid '{text}'");
}
