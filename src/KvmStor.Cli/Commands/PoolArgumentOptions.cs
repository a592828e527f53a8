using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>The options of pool-define-as / pool-create-as (virsh's "pool-X-as" options) and how they are read.</summary>
public static class PoolArgumentOptions
{
    /// <summary>The shared options, in virsh's declaration order (name and type may be given positionally).</summary>
    public static List<OptionDefinition> Options() =>
    [
        OptionDefinition.Data("name", "name of the new pool"),
        OptionDefinition.Data("type", "pool type (dir, fs, netfs, logical, disk, iscsi, ...)").Taking(new(ValueKind.PoolType)),
        OptionDefinition.Flag("print-xml", "only print the pool XML these options make"),
        OptionDefinition.Str("source-host", "host serving the storage"),
        OptionDefinition.Str("source-path", "path of the storage on the source host"),
        OptionDefinition.Str("source-dev", "device holding the storage").Taking(OptionValues.Files),
        OptionDefinition.Str("source-name", "name of the source (volume group, RBD pool, Gluster volume, ...)"),
        OptionDefinition.Str("target", "where the pool appears on this host").Taking(OptionValues.Files),
        OptionDefinition.Str("source-format", "format of the source (file system, label type, ...)"),
        OptionDefinition.Str("auth-type", "authentication kind (chap or ceph)").Taking(OptionValues.OneOf("chap", "ceph")),
        OptionDefinition.Str("auth-username", "user name for authentication"),
        OptionDefinition.Str("secret-usage", "usage name of the secret holding the password").Taking(new(ValueKind.SecretUsage)),
        OptionDefinition.Str("secret-uuid", "UUID of the secret holding the password").Taking(new(ValueKind.SecretUuid)),
        OptionDefinition.Str("adapter-name", "SCSI host adapter name (scsi_hostN)"),
        OptionDefinition.Str("adapter-wwnn", "world wide node name of a vHBA"),
        OptionDefinition.Str("adapter-wwpn", "world wide port name of a vHBA"),
        OptionDefinition.Str("adapter-parent", "parent scsi_hostN of a vHBA"),
        OptionDefinition.Str("adapter-parent-wwnn", "node name of a vHBA's parent"),
        OptionDefinition.Str("adapter-parent-wwpn", "port name of a vHBA's parent"),
        OptionDefinition.Str("adapter-parent-fabric-wwn", "fabric name of a vHBA's parent"),
        OptionDefinition.Str("source-protocol-ver", "NFS protocol version to mount with"),
        OptionDefinition.Str("source-initiator", "iSCSI initiator IQN"),
    ];

    /// <summary>Reads the options of a parsed pool-define-as / pool-create-as (with virsh's checks).</summary>
    public static KvmStor.Model.PoolArguments From(ParsedCommand command)
    {
        command.Exclusive("secret-usage", "secret-uuid");
        return new KvmStor.Model.PoolArguments
        {
            Name = command.Required("name"),
            Type = command.Required("type"),
            SourceHost = command.String("source-host"),
            SourcePath = command.String("source-path"),
            SourceDev = command.String("source-dev"),
            SourceName = command.String("source-name"),
            Target = command.String("target"),
            SourceFormat = command.String("source-format"),
            AuthType = command.String("auth-type"),
            AuthUsername = command.String("auth-username"),
            SecretUsage = command.String("secret-usage"),
            SecretUuid = command.String("secret-uuid"),
            AdapterName = command.String("adapter-name"),
            AdapterWwnn = command.String("adapter-wwnn"),
            AdapterWwpn = command.String("adapter-wwpn"),
            AdapterParent = command.String("adapter-parent"),
            AdapterParentWwnn = command.String("adapter-parent-wwnn"),
            AdapterParentWwpn = command.String("adapter-parent-wwpn"),
            AdapterParentFabricWwn = command.String("adapter-parent-fabric-wwn"),
            SourceProtocolVer = command.String("source-protocol-ver"),
            SourceInitiator = command.String("source-initiator"),
        };
    }
}
