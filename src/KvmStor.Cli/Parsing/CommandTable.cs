using KvmStor.Cli.Commands;

namespace KvmStor.Cli.Parsing;

/// <summary>Every command kvmstor knows, in the groups <c>help</c> shows.</summary>
public sealed class CommandTable
{
    public IReadOnlyList<CommandGroup> Groups { get; }

    private readonly Dictionary<string, CommandDefinition> _byName = new(StringComparer.Ordinal);

    public CommandTable(IReadOnlyList<CommandGroup> groups)
    {
        Groups = groups;
        foreach (var group in groups)
            foreach (var command in group.Commands)
                _byName.Add(command.Name, command);
    }

    public CommandDefinition? Find(string name) => _byName.GetValueOrDefault(name);

    public CommandGroup? FindGroup(string keyword)
    {
        foreach (var group in Groups)
            if (group.Keyword == keyword) return group;
        return null;
    }

    /// <summary>The table of the kvmstor command (built on first use, not in a static initialiser).</summary>
    public static CommandTable CreateDefault() => new(
    [
        new CommandGroup("Storage Pool", "pool",
        [
            PoolXmlCommands.FindSourcesAs,
            PoolXmlCommands.FindSources,
            PoolLifecycleCommands.Autostart,
            PoolLifecycleCommands.Build,
            PoolDefineCommands.CreateAs,
            PoolDefineCommands.Create,
            PoolDefineCommands.DefineAs,
            PoolDefineCommands.Define,
            PoolLifecycleCommands.Delete,
            PoolLifecycleCommands.Destroy,
            PoolXmlCommands.DumpXml,
            PoolEditCommand.Edit,
            PoolListCommands.Info,
            PoolListCommands.List,
            PoolListCommands.NameOf,
            PoolLifecycleCommands.Refresh,
            PoolLifecycleCommands.Start,
            PoolLifecycleCommands.Undefine,
            PoolListCommands.UuidOf,
            PoolEventCommand.Event,
            PoolXmlCommands.Capabilities,
        ]),
        new CommandGroup("Storage Volume", "volume",
        [
            VolumeCreateCommands.Clone,
            VolumeCreateCommands.CreateAs,
            VolumeCreateCommands.Create,
            VolumeCreateCommands.CreateFrom,
            VolumeCreateCommands.Delete,
            VolumeDataCommands.Download,
            VolumeInfoCommands.DumpXml,
            VolumeInfoCommands.Info,
            VolumeInfoCommands.KeyOf,
            VolumeInfoCommands.List,
            VolumeInfoCommands.NameOf,
            VolumeInfoCommands.PathOf,
            VolumeInfoCommands.PoolOf,
            VolumeDataCommands.Resize,
            VolumeDataCommands.Upload,
            VolumeDataCommands.Wipe,
        ]),
        new CommandGroup("Domain", "domain",
        [
            GuestDiskCommands.AttachDisk,
            GuestDefinitionCommands.Define,
            GuestDiskCommands.DetachDisk,
            GuestDiskCommands.BlockList,
            GuestNativeCommand.ToNative,
            GuestDefinitionCommands.DumpXml,
            GuestEditCommand.Edit,
            GuestDefinitionCommands.List,
            GuestDefinitionCommands.Undefine,
            GuestVolumeUseCommand.AttachInfo,
        ]),
        new CommandGroup("Secret", "secret",
        [
            SecretCommands.Define,
            SecretCommands.DumpXml,
            SecretCommands.GetValue,
            SecretCommands.List,
            SecretCommands.SetValue,
            SecretCommands.Undefine,
        ]),
        new CommandGroup("kvmstor itself", "kvmstor",
        [
            HelpCommand.Help,
            AutostartCommand.Autostart,
            CompleteCommand.Complete,
            ManCommand.Man,
            ServeCommand.Serve,
        ]),
    ]);
}
