namespace KvmStor.Tests.Backends.Scsi;

/// <summary>
/// Plays the kernel's part of NPIV for a recorded tree: when "wwpn:wwnn" lands in host5's vport_create the vHBA appears
/// (as <see cref="ScsiReplay.Vhba"/> lays it out); vport_delete makes it vanish. Polls on its own thread until disposed.
/// </summary>
public sealed class FakeVportKernel : IDisposable
{
    private readonly RecordedSysfs _sysfs;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    public FakeVportKernel(RecordedSysfs sysfs)
    {
        _sysfs = sysfs;
        _thread = new Thread(Run) { IsBackground = true };
        _thread.Start();
    }

    private string HbaFile(string name) => Path.Combine(_sysfs.Sys, "devices", ScsiReplay.FcPci, "host5", "fc_host", "host5", name);

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                Handle("vport_create", () => _sysfs.Vhba());
                Handle("vport_delete", RemoveVhba);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A failing fake kernel must fail the test, not the test host.
                Log.Enqueue(("error", e.Message));
            }
            Thread.Sleep(10);
        }
    }

    /// <summary>
    /// Consumes what was written to the attribute since the last look and, for the vHBA's "wwpn:wwnn", acts on it. The
    /// write is logged once the action is complete, so a test that saw the log entry sees its effect too.
    /// </summary>
    private void Handle(string name, Action action)
    {
        string path = HbaFile(name);
        string text = File.Exists(path) ? File.ReadAllText(path) : "";
        if (text.Length == 0) return;
        File.WriteAllText(path, "");
        if (text == $"{ScsiReplay.VhbaWwpn}:{ScsiReplay.VhbaWwnn}") action();
        Log.Enqueue((name, text));
    }

    /// <summary>Every (attribute, value) the kernel received, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string File, string Value)> Log { get; } = new();


    private void RemoveVhba()
    {
        File.Delete(Path.Combine(_sysfs.Sys, "class", "scsi_host", "host6"));
        File.Delete(Path.Combine(_sysfs.Sys, "class", "fc_host", "host6"));
        foreach (var lun in new[] { "6:0:0:0", "6:0:0:1", "6:0:1:0" }) File.Delete(Path.Combine(_sysfs.Sys, "bus", "scsi", "devices", lun));
        Directory.Delete(Path.Combine(_sysfs.Sys, "devices", ScsiReplay.VhbaPath), recursive: true);
        // udev removes the nodes and their links with the devices.
        foreach (var lun in new[] { "lun-0", "lun-1" })
            File.Delete(Path.Combine(_sysfs.Dev, "disk", "by-path", "pci-0000:04:00.1-fc-0x5006016844602198-" + lun));
        File.Delete(Path.Combine(_sysfs.Dev, "sdb"));
        File.Delete(Path.Combine(_sysfs.Dev, "sdc"));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
    }
}
