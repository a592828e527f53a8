using KvmStor.Host;

namespace KvmStor.Tests.Host;

/// <summary>The kernel's memory and CPU files as the server's node calls read them.</summary>
public sealed class HostFactsTests
{
    [Fact]
    public void Meminfo_lines_of_the_host_and_of_a_numa_cell_parse_to_KiB()
    {
        var host = HostMemory.Parse("MemTotal:        8138264 kB\nMemFree:          412880 kB\nBuffers:           91144 kB\nCached:          2952620 kB\nHugePages_Total:       0\n");
        Assert.Equal(8138264ul, host["MemTotal"]);
        Assert.Equal(2952620ul, host["Cached"]);
        Assert.False(host.ContainsKey("HugePages_Total"));

        var cell = HostMemory.Parse("Node 1 MemTotal:       16314240 kB\nNode 1 MemFree:         1021924 kB\n");
        Assert.Equal(16314240ul, cell["MemTotal"]);
        Assert.Equal(1021924ul, cell["MemFree"]);
    }

    [Fact]
    public void The_hosts_stats_are_the_four_fields_libvirt_reports()
    {
        var stats = HostMemory.Stats(-1)!;
        Assert.Equal(["total", "free", "buffers", "cached"], stats.Select(s => s.Field));
        Assert.True(stats[0].KiB > 0);
        Assert.Null(HostMemory.Stats(100000));
    }

    [Theory]
    [InlineData("0-3", 4)]
    [InlineData("0,2,4-7", 6)]
    [InlineData("0", 1)]
    [InlineData("", null)]
    [InlineData("3-1", null)]
    public void Online_cpu_lists_are_counted(string list, int? count) => Assert.Equal(count, HostCpus.OnlineCount(list));

    [Fact]
    public void Cpuinfo_topology_is_used_when_it_multiplies_out_to_the_online_count()
    {
        string cpu(int id, int core) => $"processor\t: {id}\nphysical id\t: 0\nsiblings\t: 4\ncore id\t\t: {core}\ncpu cores\t: 2\ncpu MHz\t\t: 2394.454\n\n";
        string cpuinfo = cpu(0, 0) + cpu(1, 0) + cpu(2, 1) + cpu(3, 1);
        Assert.Equal(new HostCpus("x86_64", 4, 2394, 1, 1, 2, 2), HostCpus.FromCpuInfo("x86_64", 4, 1, cpuinfo));
        // Two CPUs offline: the topology no longer adds up, so the flat layout.
        Assert.Equal(new HostCpus("x86_64", 2, 2394, 1, 1, 2, 1), HostCpus.FromCpuInfo("x86_64", 2, 1, cpuinfo));
        // No topology lines at all (most non-x86 kernels).
        Assert.Equal(new HostCpus("aarch64", 8, 0, 1, 1, 8, 1), HostCpus.FromCpuInfo("aarch64", 8, 1, "processor\t: 0\nBogoMIPS\t: 50.00\n"));
    }
}
