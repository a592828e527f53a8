using System.Diagnostics;
using KvmStor.Host;
using KvmStor.IntegrationTests.Cockpit;

namespace KvmStor.IntegrationTests;

/// <summary>
/// The tests' own mount namespaces must not keep another test's filesystem alive: a namespace made while a loop device
/// is mounted, which runs <see cref="ForeignMounts.DropCommand"/> first, lets that device be made a new filesystem
/// once the host unmounts it; without it, mkfs finds the device busy.
/// </summary>
public sealed class ForeignMountsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_namespace_that_drops_foreign_mounts_does_not_keep_a_device_busy(bool drop)
    {
        using var loop = new FsPoolLoopDevice();
        FsPoolLoopDevice.Run("mkfs.xfs", "-q", "-f", loop.Device);
        Directory.CreateDirectory(loop.Target);
        FsPoolLoopDevice.Run("mount", loop.Device, loop.Target);
        string ready = Path.Combine(loop.Root, "ready");
        // Without the drop, only this test's own mount is kept: the namespace must not hold other tests' mounts.
        string first = ForeignMounts.DropCommand(loop.Root, keep: drop ? "" : loop.Target) + "; ";
        using var holder = Process.Start(new ProcessStartInfo("unshare", ["-m", "sh", "-c", $"{first}touch {ready}; exec sleep 30"])
            { UseShellExecute = false })!;
        try
        {
            Deadline.WaitUntil(TimeSpan.FromSeconds(20), "the namespace to be made", () => File.Exists(ready));
            FsPoolLoopDevice.Run("umount", loop.Target);
            var mkfs = new ProcessCommandRunner().Run(new CommandLine("mkfs.xfs", "-q", "-f", loop.Device));
            if (drop) Assert.True(mkfs.ExitCode == 0, mkfs.StandardError);
            else Assert.Contains("Device or resource busy", mkfs.StandardError);
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }
    }
}
