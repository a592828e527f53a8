using KvmStor.Model;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Events;
using KvmStor.Server.Xdr;
using static KvmStor.Server.Procedures.ObjectHandles;

namespace KvmStor.Server.Procedures;

/// <summary>
/// Every secret procedure (§8.3). Private secrets' values never leave: the engine refuses them. Their events are
/// announced by the engine, and reach subscribers through <see cref="EventHub"/> like those of CLI processes.
/// </summary>
public static class SecretProcedures
{
    private const ProcedureFamily F = ProcedureFamily.Secret;

    public static IEnumerable<Procedure> All =>
    [
        new(139, "virConnectNumOfSecrets", F, c => c.Ret.WriteInt(c.Host.Secrets.List().Count)),
        new(140, "virConnectListSecrets", F, ListUuids),
        new(141, "virSecretLookupByUUID", F, c => Write(c.Ret, c.Host.Secrets.Lookup(c.Args.ReadUuid().ToString("D")))),
        new(147, "virSecretLookupByUsage", F, LookupByUsage),
        new(142, "virSecretDefineXML", F, DefineXml, Changes: true),
        new(143, "virSecretGetXMLDesc", F, GetXmlDesc),
        new(144, "virSecretSetValue", F, SetValue, Changes: true),
        new(145, "virSecretGetValue", F, GetValue, Changes: true),
        new(146, "virSecretUndefine", F, Undefine, Changes: true),
        new(287, "virConnectListAllSecrets", F, ListAll),
    ];

    private static void ListUuids(CallContext call)
    {
        int max = ReadMaxNames(call, "SECRET_UUID");
        WriteNames(call.Ret, call.Host.Secrets.List().Select(s => s.Uuid.ToString("D")), max);
    }

    private static void LookupByUsage(CallContext call)
    {
        int type = call.Args.ReadInt();
        string usage = call.Args.ReadString();
        if (type < 0 || type > (int)SecretUsageType.Vtpm)
            throw new StorageException(ErrorCode.NoSecret, $"no secret with matching usage '{usage}'");
        Write(call.Ret, call.Host.Secrets.LookupByUsage((SecretUsageType)type, usage));
    }

    private static void DefineXml(CallContext call)
    {
        string xml = call.Args.ReadString();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 1, "secretDefineXML");
        var secret = call.Host.Secrets.Define(xml);
        Write(call.Ret, secret);
    }

    private static void GetXmlDesc(CallContext call)
    {
        var secret = ReadSecret(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "secretGetXMLDesc");
        call.Ret.WriteString(call.Host.Secrets.GetXml(secret.Uuid.ToString("D")));
    }

    private static void SetValue(CallContext call)
    {
        var secret = ReadSecret(call);
        byte[] value = call.Args.ReadOpaque(ProtocolLimits.SecretValueMax);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "secretSetValue");
        call.Host.Secrets.SetValue(secret.Uuid.ToString("D"), value);
    }

    private static void GetValue(CallContext call)
    {
        var secret = ReadSecret(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "secretGetValue");
        call.Ret.WriteOpaque(call.Host.Secrets.GetValue(secret.Uuid.ToString("D")));
    }

    private static void Undefine(CallContext call)
    {
        var secret = ReadSecret(call);
        call.Host.Secrets.Undefine(secret.Uuid.ToString("D"));
    }

    // virConnectListAllSecrets flags: EPHEMERAL 1, NO_EPHEMERAL 2, PRIVATE 4, NO_PRIVATE 8.
    private static void ListAll(CallContext call)
    {
        int needResults = call.Args.ReadInt();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 15, "virConnectListAllSecrets");
        var secrets = call.Host.Secrets.List()
            .Where(s => Matches(flags, 1, 2, s.Ephemeral) && Matches(flags, 4, 8, s.Private))
            .ToList();
        PoolProcedures.WriteList(call, needResults, secrets.Count, () => { foreach (var s in secrets) Write(call.Ret, s); });
    }

    private static bool Matches(uint flags, uint yes, uint no, bool value) =>
        ((flags & yes) != 0, (flags & no) != 0) switch { (true, false) => value, (false, true) => !value, _ => true };
}
