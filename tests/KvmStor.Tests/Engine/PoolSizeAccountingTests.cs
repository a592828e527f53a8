using KvmStor.Tests.Backends;
using Xunit;

namespace KvmStor.Tests.Engine;

/// <summary>pool-info follows volume creation and deletion without a pool-refresh, as libvirt's does.</summary>
public class PoolSizeAccountingTests
{
    [Fact]
    public void Creating_and_deleting_a_volume_moves_allocation_and_available_by_its_allocation()
    {
        using var pool = new FileVolumeTestPool();
        var before = pool.Host.Pools.Info("p");

        var created = pool.Create("dense.img", (4 * FileVolumeTestPool.MiB).ToString());
        var afterCreate = pool.Host.Pools.Info("p");
        Assert.True(created.Volume.Allocation >= 4UL * FileVolumeTestPool.MiB);
        Assert.Equal(before.Allocation + created.Volume.Allocation, afterCreate.Allocation);
        Assert.Equal(before.Available - created.Volume.Allocation, afterCreate.Available);
        Assert.Equal(before.Capacity, afterCreate.Capacity);

        pool.Host.Volumes.Delete(pool.Volume("dense.img"), KvmStor.Model.VolumeDeleteFlags.None);
        var afterDelete = pool.Host.Pools.Info("p");
        Assert.Equal(before.Allocation, afterDelete.Allocation);
        Assert.Equal(before.Available, afterDelete.Available);
    }
}

public class StoppedPoolSizesTests
{
    [Fact]
    public void Dumpxml_of_a_stopped_pool_keeps_the_last_sizes_until_the_pool_is_undefined()
    {
        using var dir = new TempStateDirectory();
        var host = dir.OpenHost();
        string xml = $"<pool type='dir'><name>p</name><target><path>{dir.PoolDir("p")}</path></target></pool>";
        host.Pools.Define(xml);
        host.Pools.Build("p", KvmStor.Model.PoolBuildFlags.None);
        host.Pools.Start("p", KvmStor.Model.PoolBuildFlags.None);
        var running = host.Pools.Info("p");
        Assert.True(running.Capacity > 0);

        host.Pools.Destroy("p");
        string stopped = host.Pools.GetXml("p", inactive: false);
        Assert.Contains($"<capacity unit='bytes'>{running.Capacity}</capacity>", stopped);
        Assert.Contains($"<available unit='bytes'>{running.Available}</available>", stopped);

        host.Pools.Undefine("p");
        host.Pools.Define(xml);
        Assert.Contains("<capacity unit='bytes'>0</capacity>", host.Pools.GetXml("p", inactive: false));
    }
}
