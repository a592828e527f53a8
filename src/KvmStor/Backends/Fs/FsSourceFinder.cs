using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Fs;

/// <summary>
/// find-storage-pool-sources for fs pools (beyond libvirt, which does not support it): every writable disk or
/// partition holding a filesystem an fs pool can mount, with that filesystem as the pool's source format.
/// </summary>
public sealed class FsSourceFinder(ICommandRunner runner)
{
    public IReadOnlyList<PoolSource> FindSources() =>
        new BlockDevices(runner).List(wholeDisksOnly: false)
            .Where(d => d.FileSystem is { } fs && fs != "auto" && PoolFormats.FileSystem.Contains(fs))
            .Select(d => new PoolSource
            {
                Devices = [new PoolSourceDevice { Path = d.Path }],
                Format = d.FileSystem,
            })
            .ToList();
}
