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

    /// <summary>A secret was defined, changed or removed: connections made with a value that is no longer current are closed.</summary>
    void SecretsChanged();
}
