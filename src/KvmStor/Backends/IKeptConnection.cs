namespace KvmStor.Backends;

/// <summary>What became of a kept connection after its last call.</summary>
internal enum KeptConnectionState
{
    /// <summary>Answering: the next call may use it.</summary>
    Healthy,
    /// <summary>A call failed with a connection error: not used again, closed once its last call is done.</summary>
    Broken,
    /// <summary>A call timed out: the library may still be inside it, so it is never used again and never closed.</summary>
    Abandoned,
}

/// <summary>A connection to a pool's servers that <see cref="KeptConnections{T}"/> can keep between calls.</summary>
internal interface IKeptConnection
{
    /// <summary>Set by the connection's own calls as they fail; read by the cache after each call.</summary>
    KeptConnectionState State { get; }

    /// <summary>Ends the connection. Called once, when no call uses it any more, and never for an abandoned one.</summary>
    void Close();
}
