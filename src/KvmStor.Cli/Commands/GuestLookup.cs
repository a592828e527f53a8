using KvmStor.Cli.Parsing;
using KvmStor.Engine;
using KvmStor.Guests;

namespace KvmStor.Cli.Commands;

/// <summary>The domain argument of guest commands, the guest directory setting, and virsh's lookup error.</summary>
public static class GuestLookup
{
    public const string DomainOption = "domain";

    public static OptionDefinition Domain => OptionDefinition.Data(DomainOption, "domain name or uuid").Taking(new(ValueKind.Guest));

    /// <summary>The engine with its guest store pointed where KVMSTOR_GUEST_DIR says (e.g. a libvirt host's /etc/libvirt/qemu).</summary>
    public static StorageHost Host(CommandContext context)
    {
        var host = context.Host;
        if (context.Services.Variable("KVMSTOR_GUEST_DIR") is { } directory
            && host.Guests.Store.Directory != Path.GetFullPath(directory))
            host.Guests.UseDirectory(directory);
        return host;
    }

    /// <summary>Finds the guest the command names; virsh reports only "failed to get domain 'x'" when it does not exist.</summary>
    public static GuestInfo Find(CommandContext context, ParsedCommand command)
    {
        string argument = command.Required(DomainOption);
        return PoolLookup.Reported(() => Host(context).Lookup.GuestArgument(argument));
    }
}
