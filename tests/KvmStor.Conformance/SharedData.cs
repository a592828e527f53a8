namespace KvmStor.Conformance;

/// <summary>Finds ../shared/conformance beside the repository (KVMSTOR_SHARED overrides).</summary>
public static class SharedData
{
    public static string Root { get; } = Locate();

    public static string Conformance => Path.Combine(Root, "conformance");
    public static string LibvirtTests => Path.Combine(Conformance, "libvirt-tests");
    public static string Libvirt90Outputs => Path.Combine(Conformance, "libvirt-9.0-outputs");

    private static string Locate()
    {
        if (Environment.GetEnvironmentVariable("KVMSTOR_SHARED") is { Length: > 0 } env) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvmStor.slnx")))
            {
                string shared = Path.Combine(dir.Parent!.FullName, "shared");
                if (Directory.Exists(Path.Combine(shared, "conformance"))) return shared;
            }
        }
        throw new DirectoryNotFoundException("../shared/conformance not found beside the repository; set KVMSTOR_SHARED");
    }
}
