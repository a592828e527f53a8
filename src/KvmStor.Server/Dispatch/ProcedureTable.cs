using System.Collections.Frozen;
using KvmStor.Server.Procedures;

namespace KvmStor.Server.Dispatch;

/// <summary>The dispatch table: procedure number → handler, built from one list per procedure group.</summary>
public static class ProcedureTable
{
    private static readonly FrozenDictionary<int, Procedure> Table = Build();

    public static Procedure? Find(int number) => Table.GetValueOrDefault(number);

    public static IEnumerable<Procedure> All => Table.Values;

    private static FrozenDictionary<int, Procedure> Build()
    {
        var table = new Dictionary<int, Procedure>();
        foreach (var group in new[]
                 {
                     ConnectionProcedures.All, PoolProcedures.All, VolumeProcedures.All, SecretProcedures.All,
                     StreamProcedures.All, EventProcedures.All,
                 })
            foreach (var procedure in group)
                table.Add(procedure.Number, procedure);
        return table.ToFrozenDictionary();
    }
}
