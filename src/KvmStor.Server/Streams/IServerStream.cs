using KvmStor.Server.Protocol;

namespace KvmStor.Server.Streams;

/// <summary>A transfer opened by a call (upload or download), fed with the client's STREAM packets of its serial.</summary>
public interface IServerStream
{
    /// <summary>The procedure of the call that opened it: stream packets carry it too.</summary>
    int Procedure { get; }

    ValueTask OnPacketAsync(Packet packet);

    /// <summary>The client is gone: stop at once.</summary>
    void Abort();
}
