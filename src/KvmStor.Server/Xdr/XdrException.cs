namespace KvmStor.Server.Xdr;

/// <summary>A payload that does not decode: too short, a length over its cap, a bad discriminant.</summary>
public sealed class XdrException(string message) : Exception(message);
