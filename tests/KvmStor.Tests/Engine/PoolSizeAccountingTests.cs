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

        pool.Host.DeleteVolume(pool.Volume("dense.img"), KvmStor.Backends.VolumeDeleteFlags.None);
        var afterDelete = pool.Host.GetPoolInfo("p");
        Assert.Equal(before.Allocation, afterDelete.Allocation);
        Assert.Equal(before.Available, afterDelete.Available);
    }
}
