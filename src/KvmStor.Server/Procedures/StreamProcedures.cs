using KvmStor.Server.Dispatch;

namespace KvmStor.Server.Procedures;

/// <summary>vol-upload and vol-download (§6).</summary>
public static class StreamProcedures
{
    public static IEnumerable<Procedure> All => [];
}
