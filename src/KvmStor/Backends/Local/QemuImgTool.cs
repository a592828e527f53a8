using KvmStor.Host;

namespace KvmStor.Backends.Local;

/// <summary>Runs qemu-img for the formats kvmstor does not write natively, with a clear error when it is missing.</summary>
public sealed class QemuImgTool(ICommandRunner runner)
{
    public const string Program = "qemu-img";

    /// <param name="cancel">Ends qemu-img (and the call) when it fires: Ctrl+C on a long create or copy.</param>
    public void Run(CommandLine command, string purpose, CancellationToken cancel = default)
    {
        if (!runner.Exists(command.Program))
            throw StorageException.Internal(
                $"{purpose} is not supported without qemu-img. (install the Debian package qemu-utils)");
        runner.RunChecked(command, cancel);
    }
}
