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
        + "virsh -c 'storage+unix:///system?socket=/run/kvmstor/kvmstor-sock'. Runs until interrupted, or until "
        + "--timeout seconds pass with no client. Started by systemd's socket activation (LISTEN_FDS), it serves the "
        + "sockets systemd passed instead.",
        [
            OptionDefinition.Str("listen", "socket path (default /run/kvmstor/kvmstor-sock, or $XDG_RUNTIME_DIR/kvmstor/kvmstor-sock for a session)", namedOnly: true),
            OptionDefinition.Str("group", "let this group's members connect too (socket mode 0660 instead of 0600)", namedOnly: true),
            OptionDefinition.Str("timeout", "exit after this many seconds with no client connected (as virtstoraged --timeout)", namedOnly: true),
            OptionDefinition.Flag("libvirt-sockets", "listen where libvirt's storage and secret daemons do: /run/libvirt/virtstoraged-sock, /run/libvirt/virtsecretd-sock and their -ro twins"),
            OptionDefinition.Flag("libvirtd-sockets", "listen where libvirtd does, /run/libvirt/libvirt-sock and its -ro twin, answering qemu:///system and qemu:///session (Cockpit's Virtual machines page through libvirt-dbus), on a host without libvirtd"),
            OptionDefinition.Str("max-clients", $"clients of the read-write sockets at once (default {Defaults.MaxClients}); one more is closed at once", namedOnly: true),
            OptionDefinition.Str("max-readonly-clients", $"clients of the read-only sockets at once (default {Defaults.MaxReadOnlyClients})", namedOnly: true),
            OptionDefinition.Str("max-readonly-clients-per-user", $"clients of the read-only sockets one user may hold (default {Defaults.MaxReadOnlyClientsPerUser})", namedOnly: true),
            OptionDefinition.Str("max-client-requests", $"calls one client may have running at once (default {ServeOptions.DefaultMaxCallsPerClient}, as libvirtd's max_client_requests)", namedOnly: true),
        ],
        Run);

    private static bool Run(CommandContext context, ParsedCommand command)
    {
        uint? groupId = null;
        if (command.String("group") is { } group)
            groupId = GroupIds.Find(group) ?? throw new CommandError($"no group named '{group}'");
        command.Exclusive("listen", "libvirt-sockets");
        command.Exclusive("listen", "libvirtd-sockets");
        uint? timeout = command.UInt("timeout");
        var host = context.Host;
        var inherited = SystemdSockets.Take();
        // --libvirt-sockets and --libvirtd-sockets together bind both sets: one server for every libvirt client.
        var libvirtPaths = (command.Flag("libvirtd-sockets") ? ServeOptions.LibvirtdSocketPaths : [])
            .Concat(command.Flag("libvirt-sockets") ? ServeOptions.LibvirtSocketPaths : []).ToList();
        string path = command.String("listen")
            ?? libvirtPaths.FirstOrDefault()
            ?? (inherited.Count > 0 ? inherited[0].Name : null)
            ?? ServerRunner.DefaultSocketPath(host.IsSystem)
            ?? throw new CommandError("XDG_RUNTIME_DIR is not set: give the socket path with --listen");
        var options = new ServeOptions(path, groupId)
        {
            SocketPaths = libvirtPaths.Count > 0 ? libvirtPaths : [path],
            Inherited = inherited,
            IdleTimeout = timeout is { } seconds and > 0 ? TimeSpan.FromSeconds(seconds) : null,
            MaxCallsPerClient = Positive(command, "max-client-requests") ?? ServeOptions.DefaultMaxCallsPerClient,
            Limits = new ServeLimits
            {
                MaxClients = Positive(command, "max-clients") ?? Defaults.MaxClients,
                MaxReadOnlyClients = Positive(command, "max-readonly-clients") ?? Defaults.MaxReadOnlyClients,
                MaxReadOnlyClientsPerUser = Positive(command, "max-readonly-clients-per-user") ?? Defaults.MaxReadOnlyClientsPerUser,
            },
        };

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
                ServerRunner.RunAsync(host, options, stop.Token,
                    endpoints =>
                    {
                        context.Output.PrintExtra($"Listening on {string.Join(" and ", endpoints)}\n");
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

    private static readonly ServeLimits Defaults = new();

    /// <summary>A count option: at least 1 (a limit of 0 would refuse every client or call).</summary>
    private static int? Positive(ParsedCommand command, string option) => command.UInt(option) switch
    {
        null => null,
        0 or > int.MaxValue => throw ParsedCommand.Malformed(option, command.String(option)!),
        var value => (int)value,
    };
}
