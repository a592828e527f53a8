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
        var before = pool.Host.GetPoolInfo("p");

        var created = pool.Create("dense.img", (4 * FileVolumeTestPool.MiB).ToString());
        var afterCreate = pool.Host.GetPoolInfo("p");
        Assert.True(created.Volume.Allocation >= 4UL * FileVolumeTestPool.MiB);
        Assert.Equal(before.Allocation + created.Volume.Allocation, afterCreate.Allocation);
        Assert.Equal(before.Available - created.Volume.Allocation, afterCreate.Available);
        Assert.Equal(before.Capacity, afterCreate.Capacity);

        pool.Host.DeleteVolume(pool.Volume("dense.img"), KvmStor.Model.VolumeDeleteFlags.None);
        var afterDelete = pool.Host.GetPoolInfo("p");
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
        host.DefinePool(xml);
        host.BuildPool("p", KvmStor.Model.PoolBuildFlags.None);
        host.StartPool("p", KvmStor.Model.PoolBuildFlags.None);
        var running = host.GetPoolInfo("p");
        Assert.True(running.Capacity > 0);

        host.DestroyPool("p");
        string stopped = host.GetPoolXml("p", inactive: false);
        Assert.Contains($"<capacity unit='bytes'>{running.Capacity}</capacity>", stopped);
        Assert.Contains($"<available unit='bytes'>{running.Available}</available>", stopped);

        host.UndefinePool("p");
        host.DefinePool(xml);
        Assert.Contains("<capacity unit='bytes'>0</capacity>", host.GetPoolXml("p", inactive: false));
    }
}
