using System.Diagnostics;

namespace KvmStor.IntegrationTests;

/// <summary>
/// A sparse file attached as a loop device with partition scanning (devtmpfs creates /dev/loopNpM without udev).
/// Dispose detaches the device by its path and removes the file, also after a failed test.
/// </summary>
internal sealed class DiskPoolLoopDevice : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kvmstor-disk-").FullName;
    public string Device { get; }
    public string BaseName => Path.GetFileName(Device);

    public DiskPoolLoopDevice(long size = 1L << 30)
    {
        string image = Path.Combine(Directory, "disk.img");
        using (var f = File.Create(image)) f.SetLength(size);
        Device = Run("losetup", "-f", "-P", "--show", image).Trim();
    }

    public string Partition(int n) => $"{Device}p{n}";

    public static string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: exit {p.ExitCode}: {stderr}");
        return stdout;
    }

    public void Dispose()
    {
        try { Run("losetup", "-d", Device); } catch (InvalidOperationException) { }
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
