using System.Runtime.InteropServices;
using KvmStor.Cli.Parsing;
using KvmStor.Server.Transport;

namespace KvmStor.Cli.Commands;

/// <summary>serve: libvirt's RPC protocol on a UNIX socket, so libvirt's own clients manage kvmstor's storage.</summary>
public static class ServeCommand
{
    public static CommandDefinition Serve => new("serve", "serve libvirt clients on a UNIX socket",
        "Listens on a UNIX socket (and its read-only twin, the same path with \"-ro\") for libvirt's remote protocol, so "
        + "virsh, python3-libvirt and other libvirt clients manage this connection's pools, volumes and secrets: "
        + "virsh -c 'storage+unix:///system?socket=/run/kvmstor/kvmstor-sock'. Runs until interrupted.",
        [
            OptionDefinition.Str("listen", "socket path (default /run/kvmstor/kvmstor-sock, or $XDG_RUNTIME_DIR/kvmstor/kvmstor-sock for a session)", namedOnly: true),
            OptionDefinition.Str("group", "let this group's members connect too (socket mode 0660 instead of 0600)", namedOnly: true),
        ],
        Run);

    private static bool Run(CommandContext context, ParsedCommand command)
    {
        uint? groupId = null;
        if (command.String("group") is { } group)
            groupId = GroupIds.Find(group) ?? throw new CommandError($"no group named '{group}'");
        var host = context.Host;
        string path = command.String("listen")
            ?? ServerRunner.DefaultSocketPath(host.Paths.IsSystem)
            ?? throw new CommandError("XDG_RUNTIME_DIR is not set: give the socket path with --listen");

        var interrupt = context.Services.Interrupt;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt.Token);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stop.Cancel();
        });
        using (interrupt.Listen())
        {
            try
            {
                ServerRunner.RunAsync(host, new ServeOptions(path, groupId), stop.Token,
                    () =>
                    {
                        context.Output.PrintExtra($"Listening on {path} and {path}-ro\n");
                        context.Output.Out.Flush();
                    }).GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or UnauthorizedAccessException)
            {
                throw new CommandError($"cannot listen on {path}: {e.Message}");
            }
            catch (StorageException e)
            {
                throw new CommandError($"cannot listen on {path}", e);
            }
        }
        return true;
    }
}
