using KvmStor.Host;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Protocol;

/// <summary>
/// remote_node_get_info_ret: char model[32] (a fixed array of XDR chars, each one a 4-byte word, NUL-padded), the
/// memory in KiB, then cpus, mhz, nodes, sockets, cores and threads.
/// </summary>
public static class NodeInfoWire
{
    public const int ModelLength = 32;

    public static void Write(XdrWriter w, HostCpus cpus, ulong memoryKiB)
    {
        var model = System.Text.Encoding.ASCII.GetBytes(cpus.Model);
        for (int i = 0; i < ModelLength; i++)
            w.WriteInt(i < model.Length && i < ModelLength - 1 ? model[i] : 0);
        w.WriteUHyper(memoryKiB);
        w.WriteInt(cpus.Cpus);
        w.WriteInt(cpus.Mhz);
        w.WriteInt(cpus.Nodes);
        w.WriteInt(cpus.Sockets);
        w.WriteInt(cpus.Cores);
        w.WriteInt(cpus.Threads);
    }
}
