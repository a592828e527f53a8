using System.Collections.Frozen;
using KvmStor.Server.Procedures;

namespace KvmStor.Server.Dispatch;

/// <summary>The dispatch table: procedure number → handler, built from one list per procedure group.</summary>
public static class ProcedureTable
{
    private static readonly FrozenDictionary<int, Procedure> Table = Build();

    /// <summary>The highest procedure number of libvirt 9.0's remote program (DOMAIN_FD_ASSOCIATE).</summary>
    public const int LastKnownProcedure = 443;

    /// <summary>
    /// The handler of a procedure; a procedure of libvirt 9.0 that kvmstor does not serve (domains, networks, node
    /// devices …) gets the storage driver's answer for a function it lacks, NO_SUPPORT, which clients report as
    /// "not supported" and fall back on; a number beyond libvirt 9.0's is unknown (null).
    /// </summary>
    public static Procedure? Find(int number) =>
        Table.GetValueOrDefault(number) ?? (number is >= 1 and <= LastKnownProcedure ? NotServed(number) : null);

    private static Procedure NotServed(int number) =>
        new(number, $"remote procedure {number}", ProcedureFamily.Connection,
            c => throw new RpcFault(Protocol.RemoteError.NoSupport(Protocol.ErrorDomains.Domain, c.Procedure.Api)), Inline: true);

    public static IEnumerable<Procedure> All => Table.Values;

    private static FrozenDictionary<int, Procedure> Build()
    {
        var table = new Dictionary<int, Procedure>();
        foreach (var group in new[]
                 {
                     ConnectionProcedures.All, PoolProcedures.All, VolumeProcedures.All, SecretProcedures.All,
                     StreamProcedures.All, EventProcedures.All, DomainProcedures.All, HostProcedures.All,
                     UnmanagedObjectProcedures.All,
                 })
            foreach (var procedure in group)
                table.Add(procedure.Number, procedure);
        return table.ToFrozenDictionary();
    }
}
