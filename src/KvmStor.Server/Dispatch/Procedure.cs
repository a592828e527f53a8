namespace KvmStor.Server.Dispatch;

/// <summary>Which part of libvirt's API a procedure belongs to: decides the error domain and the "not open" text.</summary>
/// <remarks>
/// Domain, Network, Interface, NodeDevice and Host are the hypervisor driver's calls: served only on a connection
/// opened as qemu:///… (Cockpit, through libvirt-dbus), and answered NO_SUPPORT on storage:/// and secret:/// ones, as
/// libvirt's storage daemon answers them.
/// </remarks>
public enum ProcedureFamily { Connection, Storage, Secret, Domain, Network, Interface, NodeDevice, Host }

public static class ProcedureFamilies
{
    /// <summary>A call of libvirt's hypervisor driver (qemu:///…), not of the storage or secret driver.</summary>
    public static bool IsHypervisor(this ProcedureFamily family) => family >= ProcedureFamily.Domain;
}

/// <summary>Runs one call: reads its arguments from <see cref="CallContext.Args"/>, writes its result to <see cref="CallContext.Ret"/>.</summary>
public delegate void ProcedureHandler(CallContext call);

/// <summary>One entry of the dispatch table.</summary>
/// <param name="Api">the public C function the call stands for (virStoragePoolCreate …): named in read-only refusals</param>
/// <param name="Changes">refused on a read-only connection (§10)</param>
/// <param name="BeforeOpen">allowed before CONNECT_OPEN (auth, keepalive feature, open itself)</param>
/// <param name="Inline">runs on the connection's read loop, in order (connection state changes); the rest run beside it</param>
public sealed record Procedure(int Number, string Api, ProcedureFamily Family, ProcedureHandler Handler,
    bool Changes = false, bool BeforeOpen = false, bool Inline = false);
