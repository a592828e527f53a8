using KvmStor.Host;

namespace KvmStor.Backends.Local;

/// <summary>Runs qemu-img for the formats kvmstor does not write natively, with a clear error when it is missing.</summary>
public sealed class QemuImgTool(ICommandRunner runner)
{
    public const string Program = "qemu-img";

    public void Run(CommandLine command, string purpose)
    {
        if (!runner.Exists(command.Program))
            throw StorageException.Internal(
                $"{purpose} is not supported without qemu-img. (install the Debian package qemu-utils)");
        runner.RunChecked(command);
    }
}
