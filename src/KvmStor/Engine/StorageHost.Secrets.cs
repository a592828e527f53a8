using KvmStor.Model;

namespace KvmStor.Engine;

// Interim: the secret operations as they were reached before SecretService; callers move to host.Secrets.
public sealed partial class StorageHost
{
    public SecretDefinition DefineSecret(string xml) => Secrets.DefineSecret(xml);
    public SecretDefinition UndefineSecret(string uuidOrUsage) => Secrets.UndefineSecret(uuidOrUsage);
    public IReadOnlyList<SecretDefinition> ListSecrets() => Secrets.ListSecrets();
    public SecretDefinition LookupSecret(string uuidOrUsage) => Secrets.LookupSecret(uuidOrUsage);
    public string GetSecretXml(string uuidOrUsage) => Secrets.GetSecretXml(uuidOrUsage);
    public void SetSecretValue(string uuidOrUsage, byte[] value) => Secrets.SetSecretValue(uuidOrUsage, value);
    public byte[] GetSecretValue(string uuidOrUsage) => Secrets.GetSecretValue(uuidOrUsage);
    public byte[] GetSecretValueForBackend(Guid uuid) => Secrets.GetSecretValueForBackend(uuid);
    public SecretDefinition LookupSecretByUsage(SecretUsageType type, string usage) => Secrets.LookupSecretByUsage(type, usage);
    public byte[] ValueFor(PoolDefinition pool, PoolAuth auth) => Secrets.ValueFor(pool, auth);
    public string SecretValueFileFor(PoolDefinition pool, PoolAuth auth) => Secrets.SecretValueFileFor(pool, auth);
}
