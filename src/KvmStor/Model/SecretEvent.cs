namespace KvmStor.Model;

/// <summary>libvirt's secret lifecycle events, in its order (VIR_SECRET_EVENT_DEFINED 0, UNDEFINED 1).</summary>
public enum SecretLifecycleEvent { Defined, Undefined }

/// <summary>
/// One secret event, as libvirt raises them: a lifecycle event when a secret is defined (or redefined) or undefined,
/// or, with a null <see cref="Lifecycle"/>, value-changed when its value is set. Carries what a client's secret handle
/// holds, since an undefined secret can no longer be looked up.
/// </summary>
public sealed record SecretEvent(Guid SecretUuid, SecretUsageType UsageType, string UsageId, SecretLifecycleEvent? Lifecycle, DateTimeOffset Time)
{
    public bool IsValueChanged => Lifecycle is null;

    public static SecretEvent Of(SecretDefinition secret, SecretLifecycleEvent? lifecycle) =>
        new(secret.Uuid, secret.UsageType, secret.UsageId ?? "", lifecycle, DateTimeOffset.UtcNow);
}
