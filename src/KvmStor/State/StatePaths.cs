namespace KvmStor.State;

/// <summary>Where a connection keeps its pool definitions, autostart links and runtime status.</summary>
public sealed record StatePaths(string Uri, string ConfigDirectory, string AutostartDirectory, string StateDirectory)
{
    public const string SystemUri = "kvmstor:///system";
    public const string SessionUri = "kvmstor:///session";

    public bool IsSystem => Uri == SystemUri;

    /// <summary>Persistent secrets, beside the storage configuration: /etc/kvmstor/secrets or
    /// $XDG_CONFIG_HOME/kvmstor/secrets.</summary>
    public string SecretsDirectory => Path.Combine(Path.GetDirectoryName(ConfigDirectory.TrimEnd('/')) ?? "/", "secrets");

    /// <summary>
    /// Persistent state that is not configuration: the recorded formats of volumes (/var/lib/kvmstor/storage for the
    /// system, $XDG_STATE_HOME/kvmstor/storage for the session). Survives reboots, unlike <see cref="StateDirectory"/>.
    /// </summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetDirectoryName(ConfigDirectory.TrimEnd('/')) ?? "/", "data");

    public string VolumeFormatsDirectory => Path.Combine(DataDirectory, "volume-formats");

    /// <summary>Ephemeral secrets live in the runtime directory, so a reboot forgets them as a libvirtd restart does.</summary>
    public string EphemeralSecretsDirectory => Path.Combine(StateDirectory, "secrets");

    /// <summary>
    /// Resolves a connection URI: kvmstor:///system or kvmstor:///session, also accepting libvirt's storage://, qemu://
    /// spellings of the same two so virsh habits carry over. Null: KVMSTOR_DEFAULT_URI, else system for root and
    /// session for everyone else.
    /// </summary>
    public static StatePaths ForUri(string? uri, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        uri ??= environment("KVMSTOR_DEFAULT_URI") is { Length: > 0 } fromEnv ? fromEnv
            : (IsRoot() ? SystemUri : SessionUri);

        return Canonical(uri) switch
        {
            SystemUri => System(environment),
            SessionUri => Session(environment),
            _ => throw new StorageException(ErrorCode.None, $"no connection driver available for {uri}"),
        };
    }

    private static string? Canonical(string uri)
    {
        foreach (var scheme in new[] { "kvmstor", "storage", "qemu" })
            foreach (var kind in new[] { "system", "session" })
                if (uri == $"{scheme}:///{kind}")
                    return $"kvmstor:///{kind}";
        return null;
    }

    private static StatePaths System(Func<string, string?> env)
    {
        // KVMSTOR_SYSTEM_ROOT relocates the system directories (packaging, tests); empty in normal use.
        string root = env("KVMSTOR_SYSTEM_ROOT") ?? "";
        string config = root + "/etc/kvmstor/storage";
        return new StatePaths(SystemUri, config, config + "/autostart", root + "/run/kvmstor/storage")
        {
            DataDirectory = root + "/var/lib/kvmstor/storage",
        };
    }

    private static StatePaths Session(Func<string, string?> env)
    {
        string home = env("HOME") is { Length: > 0 } h ? h : "/";
        string configHome = env("XDG_CONFIG_HOME") is { Length: > 0 } c ? c : Path.Combine(home, ".config");
        // Like libvirt: runtime state in XDG_RUNTIME_DIR, falling back to the cache directory.
        string runtime = env("XDG_RUNTIME_DIR") is { Length: > 0 } r ? r
            : (env("XDG_CACHE_HOME") is { Length: > 0 } ch ? ch : Path.Combine(home, ".cache"));
        string config = Path.Combine(configHome, "kvmstor", "storage");
        string stateHome = env("XDG_STATE_HOME") is { Length: > 0 } st ? st : Path.Combine(home, ".local", "state");
        return new StatePaths(SessionUri, config, Path.Combine(config, "autostart"), Path.Combine(runtime, "kvmstor", "storage", "run"))
        {
            DataDirectory = Path.Combine(stateHome, "kvmstor", "storage"),
        };
    }

    private static bool IsRoot() => Host.Libc.geteuid() == 0;
}
