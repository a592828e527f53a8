namespace KvmStor.Tests.Cli;

/// <summary>virsh 9.0 SYNOPSIS lines (reference/virsh-9.0.0-help.txt): kvmstor takes the same options.</summary>
internal static class VirshSynopses
{
    public static readonly string[] Lines =
    [
        "find-storage-pool-sources-as <type> [--host <string>] [--port <string>] [--initiator <string>]",
        "find-storage-pool-sources <type> [--srcSpec <string>]",
        "pool-autostart <pool> [--disable]",
        "pool-build <pool> [--no-overwrite] [--overwrite]",
        "pool-create-as <name> <type> [--print-xml] [--source-host <string>] [--source-path <string>] [--source-dev <string>] [--source-name <string>] [--target <string>] [--source-format <string>] [--auth-type <string>] [--auth-username <string>] [--secret-usage <string>] [--secret-uuid <string>] [--adapter-name <string>] [--adapter-wwnn <string>] [--adapter-wwpn <string>] [--adapter-parent <string>] [--adapter-parent-wwnn <string>] [--adapter-parent-wwpn <string>] [--adapter-parent-fabric-wwn <string>] [--source-protocol-ver <string>] [--source-initiator <string>] [--build] [--no-overwrite] [--overwrite]",
        "pool-create <file> [--build] [--no-overwrite] [--overwrite]",
        "pool-define-as <name> <type> [--print-xml] [--source-host <string>] [--source-path <string>] [--source-dev <string>] [--source-name <string>] [--target <string>] [--source-format <string>] [--auth-type <string>] [--auth-username <string>] [--secret-usage <string>] [--secret-uuid <string>] [--adapter-name <string>] [--adapter-wwnn <string>] [--adapter-wwpn <string>] [--adapter-parent <string>] [--adapter-parent-wwnn <string>] [--adapter-parent-wwpn <string>] [--adapter-parent-fabric-wwn <string>] [--source-protocol-ver <string>] [--source-initiator <string>]",
        "pool-define <file> [--validate]",
        "pool-delete <pool>",
        "pool-destroy <pool>",
        "pool-dumpxml <pool> [--inactive] [--xpath <string>] [--wrap]",
        "pool-edit <pool>",
        "pool-info <pool> [--bytes]",
        "pool-list [--inactive] [--all] [--transient] [--persistent] [--autostart] [--no-autostart] [--type <string>] [--details] [--uuid] [--name]",
        "pool-name <pool>",
        "pool-refresh <pool>",
        "pool-start <pool> [--build] [--no-overwrite] [--overwrite]",
        "pool-undefine <pool>",
        "pool-uuid <pool>",
        "pool-event [--pool <string>] [--event <string>] [--loop] [--timeout <number>] [--list] [--timestamp]",
        "pool-capabilities",
        "vol-clone <vol> <newname> [--pool <string>] [--prealloc-metadata] [--reflink] [--print-xml]",
        "vol-create-as <pool> <name> <capacity> [--allocation <string>] [--format <string>] [--backing-vol <string>] [--backing-vol-format <string>] [--prealloc-metadata] [--print-xml]",
        "vol-create <pool> <file> [--prealloc-metadata] [--validate]",
        "vol-create-from <pool> <file> <vol> [--inputpool <string>] [--prealloc-metadata] [--reflink] [--validate]",
        "vol-delete <vol> [--pool <string>] [--delete-snapshots]",
        "vol-download <vol> <file> [--pool <string>] [--offset <number>] [--length <number>] [--sparse]",
        "vol-dumpxml <vol> [--pool <string>] [--xpath <string>] [--wrap]",
        "vol-info <vol> [--pool <string>] [--bytes] [--physical]",
        "vol-key <vol> [--pool <string>]",
        "vol-list <pool> [--details]",
        "vol-name <vol>",
        "vol-path <vol> [--pool <string>]",
        "vol-pool <vol> [--uuid]",
        "vol-resize <vol> <capacity> [--pool <string>] [--allocate] [--delta] [--shrink]",
        "vol-upload <vol> <file> [--pool <string>] [--offset <number>] [--length <number>] [--sparse]",
        "vol-wipe <vol> [--pool <string>] [--algorithm <string>]",
    ];
}
