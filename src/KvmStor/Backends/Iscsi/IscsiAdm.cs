using System.Text.RegularExpressions;
using KvmStor.Host;

namespace KvmStor.Backends.Iscsi;

/// <summary>
/// open-iscsi's iscsiadm with the argument lists libvirt's viriscsi.c passes (spec §3.5), so a kvmstor iscsi pool
/// leaves the node records and sessions libvirt's would. Calls that wait on the target (discovery, login, logout,
/// rescan) run with a network time limit (KVMSTOR_NETWORK_TIMEOUT unless given).
/// </summary>
internal sealed partial class IscsiAdm(ICommandRunner runner, TimeSpan? networkLimit)
{
    public const string Program = "iscsiadm";
    public const string DebianPackage = "open-iscsi";

    public void RequireInstalled()
    {
        if (!runner.Exists(Program))
            throw StorageException.Failed($"Cannot find '{Program}' in path: install the Debian package '{DebianPackage}'");
    }

    public static CommandLine ListSessions() => new(Program, "--mode", "session");

    public static CommandLine ListInterfaces() => new(Program, "--mode", "iface");

    public static CommandLine NewInterface(string iface) => new(Program, "--mode", "iface", "--interface", iface, "--op", "new");

    public static CommandLine SetInterfaceInitiator(string iface, string initiatorIqn) =>
        new(Program, "--mode", "iface", "--interface", iface, "--op", "update", "--name", "iface.initiatorname", "--value", initiatorIqn);

    /// <summary>SendTargets discovery; without <paramref name="persist"/> no node records are written.</summary>
    public static CommandLine Discover(string portal, bool persist, string? iface)
    {
        var args = new List<string> { "--mode", "discovery", "--type", "sendtargets", "--portal", portal };
        if (!persist) args.AddRange(["--op", "nonpersistent"]);
        if (iface is not null) args.AddRange(["--interface", iface]);
        return new CommandLine(Program, args);
    }

    public static CommandLine NewNode(string portal, string target) =>
        new(Program, "--mode", "node", "--portal", portal, "--targetname", target, "--op", "new");

    /// <summary>A node-record setting. Never used for secrets: the value is visible in the process list.</summary>
    public static CommandLine UpdateNode(string portal, string target, string name, string value) =>
        new(Program, "--mode", "node", "--portal", portal, "--target", target, "--op", "update", "--name", name, "--value", value);

    public static CommandLine Login(string portal, string target, string? iface) => Connection(portal, target, "--login", iface);

    public static CommandLine Logout(string portal, string target, string? iface) => Connection(portal, target, "--logout", iface);

    public static CommandLine Rescan(string sessionId) => new(Program, "--mode", "session", "-r", sessionId, "-R");

    private static CommandLine Connection(string portal, string target, string action, string? iface)
    {
        var args = new List<string> { "--mode", "node", "--portal", portal, "--targetname", target, action };
        if (iface is not null) args.AddRange(["--interface", iface]);
        return new CommandLine(Program, args);
    }

    /// <summary>The session for <paramref name="target"/>; null when there is none (iscsiadm's exit status 21 included).</summary>
    public IscsiSession? FindSession(string target, out string errorOutput)
    {
        var result = runner.Run(ListSessions());
        errorOutput = result.StandardError;
        return IscsiSession.ParseList(result.StandardOutput).FirstOrDefault(s => s.Target == target);
    }

    /// <summary>The session for <paramref name="target"/>, or libvirt's "cannot find iscsiadm session" with iscsiadm's complaint.</summary>
    public IscsiSession RequireSession(string target) =>
        FindSession(target, out string error)
        ?? throw StorageException.Internal("cannot find iscsiadm session: " + (error.Length > 0 ? error.TrimEnd('\n') : "<null>"));

    public string ListInterfacesOutput() => runner.RunChecked(ListInterfaces()).StandardOutput;

    /// <summary>Creates an interface; iscsiadm's exit status is not trusted here (old versions fail on success): the caller re-lists.</summary>
    public void CreateInterface(string iface, string initiatorIqn)
    {
        runner.Run(NewInterface(iface));
        runner.Run(SetInterfaceInitiator(iface, initiatorIqn));
    }

    /// <summary>The target IQNs a portal offers (lines "portal,tpgt target").</summary>
    public IReadOnlyList<string> DiscoverTargets(string portal, bool persist, string? iface)
    {
        var result = runner.RunChecked(Bounded(Discover(portal, persist, iface), $"iSCSI discovery at {portal}"));
        return result.StandardOutput.Split('\n').Select(l => TargetLine().Match(l)).Where(m => m.Success)
            .Select(m => m.Groups[2].Value).ToList();
    }

    public void CreateNode(string portal, string target)
    {
        var result = runner.Run(NewNode(portal, target));
        if (!result.Success)
            throw StorageException.Internal($"{Program} failed new mode for target '{target}' with status '{result.ExitCode}'");
    }

    /// <summary>As libvirt, a failed update is not an error of its own: a wrong setting shows at login.</summary>
    public void UpdateNodeSetting(string portal, string target, string name, string value) =>
        runner.Run(UpdateNode(portal, target, name, value));

    public void LogIn(string portal, string target, string? iface) =>
        runner.RunChecked(Bounded(Login(portal, target, iface), $"iSCSI login to {target} at {portal}"));

    public void LogOut(string portal, string target, string? iface) =>
        runner.RunChecked(Bounded(Logout(portal, target, iface), $"iSCSI logout from {target} at {portal}"));

    public void RescanSession(string sessionId) =>
        runner.RunChecked(Bounded(Rescan(sessionId), $"iSCSI rescan of session {sessionId}"));

    private CommandLine Bounded(CommandLine command, string what) => command.Within(CommandTimeLimit.Network(what, networkLimit));

    [GeneratedRegex(@"^\s*(\S+)\s+(\S+)\s*$")]
    private static partial Regex TargetLine();
}
