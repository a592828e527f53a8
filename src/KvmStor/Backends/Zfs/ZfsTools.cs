using KvmStor.Host;

namespace KvmStor.Backends.Zfs;

/// <summary>zfs and zpool, run through the command runner; a missing one names the Debian package to install.</summary>
public sealed class ZfsTools(ICommandRunner runner)
    : PackagedTools(runner, "ZFS tools", $"install the Debian package {DebianPackage}, from contrib")
{
    public const string DebianPackage = "zfsutils-linux";
}
