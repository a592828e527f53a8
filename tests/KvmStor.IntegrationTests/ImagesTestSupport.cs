using KvmStor.Host;

namespace KvmStor.IntegrationTests;

/// <summary>Scratch directories, qemu-img and the libvirt reference outputs for the Images tests.</summary>
internal static class ImagesTestSupport
{
    public static string Libvirt90Outputs { get; } = Path.Combine(LocateShared(), "conformance", "libvirt-9.0-outputs");

    /// <summary>KVMSTOR_SHARED, else a "shared" folder beside the repository or any of its parents.</summary>
    private static string LocateShared()
    {
        if (Environment.GetEnvironmentVariable("KVMSTOR_SHARED") is { Length: > 0 } env) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "conformance"))) return candidate;
        }
        throw new DirectoryNotFoundException("shared/conformance not found above the test binaries; set KVMSTOR_SHARED");
    }

    public static string Run(string program, params string[] arguments)
    {
        var result = new ProcessCommandRunner().Run(new CommandLine(program, arguments));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }

    public static void QemuImg(params string[] arguments) => Run("qemu-img", arguments);
}

/// <summary>A scratch directory removed on dispose.</summary>
internal sealed class ImagesScratch : IDisposable
{
    public string Path { get; }

    public ImagesScratch(string? parent = null)
    {
        Path = System.IO.Path.Combine(parent ?? System.IO.Path.GetTempPath(), "kvmstor-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
