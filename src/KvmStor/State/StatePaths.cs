namespace KvmStor.State;

/// <summary>Where a connection keeps its pool definitions, autostart links and runtime status.</summary>
public sealed record StatePaths(string Uri, string ConfigDirectory, string AutostartDirectory, string StateDirectory)
{
    /// <summary>Resolves kvmstor:///system or kvmstor:///session (and libvirt's storage:// / qemu:// spellings).</summary>
    public static StatePaths ForUri(string? uri) => throw new NotImplementedException();
}
