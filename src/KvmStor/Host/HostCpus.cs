using System.Globalization;
using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>The host's processor facts as libvirt's virNodeGetInfo reports them.</summary>
/// <param name="Model">the machine name uname gives (x86_64, aarch64)</param>
/// <param name="Cpus">online CPUs</param>
/// <param name="Mhz">the first CPU's clock (0 when the kernel does not say)</param>
public sealed record HostCpus(string Model, int Cpus, int Mhz, int Nodes, int Sockets, int Cores, int Threads)
{
    public static HostCpus Read()
    {
        int cpus = OnlineCount(SysfsAttribute.Read("/sys/devices/system/cpu/online")) ?? Environment.ProcessorCount;
        string cpuinfo;
        try { cpuinfo = File.ReadAllText("/proc/cpuinfo"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { cpuinfo = ""; }
        return FromCpuInfo(MachineName(), cpus, HostMemory.CellCount(), cpuinfo);
    }

    /// <summary>
    /// Topology from /proc/cpuinfo (physical ids, "cpu cores", "siblings"); when it does not multiply out to the
    /// online count (or is missing, as on most non-x86 kernels) the flat layout libvirt falls back to: 1 socket per
    /// node, every CPU a core, 1 thread.
    /// </summary>
    public static HostCpus FromCpuInfo(string model, int cpus, int nodes, string cpuinfo)
    {
        var sockets = new HashSet<string>();
        int mhz = 0, coresPerSocket = 0, siblings = 0;
        foreach (var line in cpuinfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "physical id": sockets.Add(value); break;
                case "cpu MHz" when mhz == 0 && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double m):
                    mhz = (int)m; break;
                case "cpu cores" when coresPerSocket == 0: int.TryParse(value, out coresPerSocket); break;
                case "siblings" when siblings == 0: int.TryParse(value, out siblings); break;
            }
        }
        nodes = Math.Max(nodes, 1);
        int socketsPerNode = sockets.Count / nodes;
        int threads = coresPerSocket > 0 ? siblings / coresPerSocket : 0;
        if (socketsPerNode > 0 && coresPerSocket > 0 && threads > 0 && nodes * socketsPerNode * coresPerSocket * threads == cpus)
            return new HostCpus(model, cpus, mhz, nodes, socketsPerNode, coresPerSocket, threads);
        return new HostCpus(model, cpus, mhz, 1, 1, cpus, 1);
    }

    /// <summary>The count of a sysfs CPU list ("0-3,6,8-9"); null when it cannot be read.</summary>
    public static int? OnlineCount(string? list)
    {
        if (string.IsNullOrWhiteSpace(list)) return null;
        int count = 0;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int dash = part.IndexOf('-');
            if (dash < 0) { if (!int.TryParse(part, out _)) return null; count++; continue; }
            if (!int.TryParse(part[..dash], out int first) || !int.TryParse(part[(dash + 1)..], out int last) || last < first) return null;
            count += last - first + 1;
        }
        return count;
    }

    private static string MachineName() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        Architecture.X86 => "i686",
        Architecture.Arm => "armv7l",
        Architecture.S390x => "s390x",
        Architecture.Ppc64le => "ppc64le",
        Architecture.RiscV64 => "riscv64",
        Architecture.LoongArch64 => "loongarch64",
        var other => other.ToString().ToLowerInvariant(),
    };
}
