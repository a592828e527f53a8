using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Disk;

/// <summary>
/// find-storage-pool-sources for disk pools (beyond libvirt, which does not support it): every writable whole disk
/// with its partition table, so a user sees what can become a pool.
/// </summary>
public sealed class DiskSourceFinder(ICommandRunner runner)
{
    public static CommandLine ListCommand { get; } = BlockDevices.ListCommand(wholeDisksOnly: true);

    public IReadOnlyList<PoolSource> FindSources() =>
        new BlockDevices(runner).List(wholeDisksOnly: true).Select(d => new PoolSource
        {
            Devices = [new PoolSourceDevice { Path = d.Path }],
            Format = d.PartitionTable is { } label ? PartedCommands.PoolFormatName(label) : null,
        }).ToList();
}
