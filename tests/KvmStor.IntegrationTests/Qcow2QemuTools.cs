using System.Diagnostics;
using System.Text.Json;

namespace KvmStor.IntegrationTests;

/// <summary>Runs the real qemu-img / qemu-io (Debian package qemu-utils); a missing tool fails the test, never skips it.</summary>
internal static class Qcow2QemuTools
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}: {Output}{Error}";
    }

    public static Result Run(string tool, params string[] args)
    {
        string exe = Locate(tool);
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result RunOk(string tool, params string[] args)
    {
        Result r = Run(tool, args);
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', args)} failed: {r}");
        return r;
    }

    private static string Locate(string tool)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            string candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail($"{tool} not found on PATH: install the Debian package qemu-utils (apt-get install qemu-utils)");
        return "";
    }

    /// <summary>qemu-img check must report a consistent image (exit 0: no corruption, no leaks).</summary>
    public static void Check(string image)
    {
        Result r = Run("qemu-img", "check", image);
        Assert.True(r.ExitCode == 0, $"qemu-img check {image}: {r}");
    }

    public static JsonElement Info(string image)
    {
        Result r = RunOk("qemu-img", "info", "--output=json", image);
        using var doc = JsonDocument.Parse(r.Output);
        return doc.RootElement.Clone();
    }

    /// <summary>The guest content as qemu sees it.</summary>
    public static byte[] ReadAllViaQemu(string image, string scratchDir)
    {
        string raw = Path.Combine(scratchDir, "qemu-view-" + Guid.NewGuid().ToString("N") + ".raw");
        RunOk("qemu-img", "convert", "-O", "raw", image, raw);
        try { return File.ReadAllBytes(raw); }
        finally { File.Delete(raw); }
    }

    public static void QemuIo(string image, string format, params string[] commands)
    {
        var args = new List<string> { "-f", format };
        foreach (string c in commands) { args.Add("-c"); args.Add(c); }
        args.Add(image);
        Result r = RunOk("qemu-io", [.. args]);
        Assert.DoesNotContain("error", r.Output + r.Error, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>A temporary directory removed with everything in it.</summary>
internal sealed class Qcow2ScratchDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kvmstor-qcow2-it-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose() => Directory.Delete(Path, recursive: true);
}
