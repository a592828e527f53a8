using System.Diagnostics;

namespace KvmStor.IntegrationTests;

/// <summary>
/// Real LVM metadata on loop devices: two 64 MiB image files attached as loop devices and a VG name no one else uses.
/// Dispose removes the VG, the PV labels and the loop devices (each by its own name) even when a test failed half-way.
/// </summary>
public sealed class LogicalPoolFixture : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kvmstor-lvm-").FullName;
    public string VolumeGroup { get; } = "kvmstor_it_" + Guid.NewGuid().ToString("N")[..10];
    public List<string> Devices { get; } = [];

    public LogicalPoolFixture(int deviceCount = 2)
    {
        try
        {
            for (int i = 0; i < deviceCount; i++)
            {
                string image = Path.Combine(Directory, $"pv{i}.img");
                using (var f = File.Create(image)) f.SetLength(64 << 20);
                Devices.Add(Run("losetup", "--find", "--show", image).Stdout.Trim());
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static (int Code, string Stdout, string Stderr) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LVM_SUPPRESS_FD_WARNINGS"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Whether the VG exists now (vgs of it succeeds).</summary>
    public bool VolumeGroupExists() => Run("vgs", VolumeGroup).Code == 0;

    /// <summary>blkid's TYPE for a device, or null when it finds nothing.</summary>
    public static string? BlkidType(string device)
    {
        var r = Run("blkid", "-p", "-o", "value", "-s", "TYPE", device);
        return r.Code == 0 ? r.Stdout.Trim() : null;
    }

    public void Dispose()
    {
        if (VolumeGroupExists()) Run("vgremove", "-f", VolumeGroup);
        foreach (var device in Devices)
        {
            if (BlkidType(device) == "LVM2_member") Run("pvremove", "-ff", "-y", device);
            Run("losetup", "-d", device);
        }
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
