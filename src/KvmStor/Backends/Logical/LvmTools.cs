using KvmStor.Host;

namespace KvmStor.Backends.Logical;

/// <summary>lvm's programs, run through the command runner; a missing one names the Debian package to install.</summary>
public sealed class LvmTools(ICommandRunner runner)
    : PackagedTools(runner, "LVM tools", $"install the Debian package {DebianPackage}")
{
    public const string DebianPackage = "lvm2";
}
