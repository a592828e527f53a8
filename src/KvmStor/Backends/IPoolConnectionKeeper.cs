using KvmStor.Model;

namespace KvmStor.Backends;

/// <summary>
/// A backend that keeps connections to a pool's servers between calls (rbd: one librados connection per pool source),
/// so a long-lived front-end (`kvmstor serve`) does not connect per call. The engine says when a kept connection is no
/// longer wanted; the backend itself drops one whose call failed or timed out, and checks the secret's value each call.
/// </summary>
public interface IPoolConnectionKeeper
{
    /// <summary>The pool was stopped, undefined or redefined: its connection (if kept) is closed.</summary>
    void ForgetConnection(PoolDefinition pool);

    /// <summary>
    /// Another kvmstor process stopped or undefined the pool with this UUID (a long-lived front-end learns it from the
    /// event log, which names the pool, not its source): whatever connection was kept for it is closed.
    /// </summary>
    void ForgetConnections(Guid poolUuid);

    /// <summary>A secret was defined, changed or removed: connections made with a value that is no longer current are closed.</summary>
    void SecretsChanged();
}
