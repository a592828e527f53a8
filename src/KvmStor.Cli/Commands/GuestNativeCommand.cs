using System.Text;
using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>domxml-to-native qemu-argv: the qemu command line that opens a guest's disks.</summary>
public static class GuestNativeCommand
{
    public const string QemuArgv = "qemu-argv";

    public static CommandDefinition ToNative => new("domxml-to-native", "print the qemu command line of a guest",
        "Prints, as one shell-quoted line, a minimal qemu-system-x86_64 command for the guest: machine, memory, cpus, a "
        + "serial console on stdio, the kernel, initrd and command line if the definition gives them, and every disk as "
        + "-blockdev nodes and a -device. Pool volumes are resolved to what qemu opens (file, host device, iSCSI, RBD, "
        + "Gluster). Give a defined guest with --domain or a domain XML file with --xml.",
        [
            OptionDefinition.Data("format", "target format; only qemu-argv").Taking(OptionValues.OneOf(QemuArgv)),
            OptionDefinition.Data("xml", "file with domain XML", required: false).Taking(OptionValues.Files),
            OptionDefinition.Str("domain", "a defined guest", namedOnly: true).Taking(new(ValueKind.Guest)),
        ],
        RunToNative);

    private static bool RunToNative(CommandContext context, ParsedCommand command)
    {
        string format = command.Required("format");
        command.Exclusive("xml", "domain");
        string? file = command.String("xml");
        IReadOnlyList<string> argv;
        if (command.Has("domain"))
        {
            var guest = GuestLookup.Find(context, command);
            argv = EngineCall.Run("Failed to convert domain XML", () =>
            {
                CheckFormat(format);
                return GuestLookup.Host(context).Guests.QemuArgv(guest.Name);
            });
        }
        else if (file is not null)
        {
            string xml = UserFile.ReadXml(file);
            argv = EngineCall.Run("Failed to convert domain XML", () =>
            {
                CheckFormat(format);
                return GuestLookup.Host(context).Guests.QemuArgvFromXml(xml);
            });
        }
        else
        {
            throw new CommandError("Either --xml or --domain must be given");
        }
        context.Output.Print(ShellLine(argv) + "\n");
        return true;
    }

    private static void CheckFormat(string format)
    {
        if (format != QemuArgv) throw StorageException.InvalidArg($"unsupported config type {format}");
    }

    /// <summary>Joins arguments so a POSIX shell splits them back the same way.</summary>
    public static string ShellLine(IEnumerable<string> argv)
    {
        var line = new StringBuilder();
        foreach (var arg in argv)
        {
            if (line.Length > 0) line.Append(' ');
            line.Append(Quote(arg));
        }
        return line.ToString();
    }

    private static string Quote(string arg)
    {
        if (arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_=,./:@+%".Contains(c))) return arg;
        return "'" + arg.Replace("'", "'\\''") + "'";
    }
}
