using KvmStor.Engine;
using KvmStor.Model;

namespace KvmStor.Tests.Guests;

/// <summary>A temp session connection with a running dir pool "images" holding a raw and a qcow2 volume, and a guest dir.</summary>
internal sealed class GuestHostFixture : IDisposable
{
    public TempStateDirectory State { get; } = new();
    public StorageHost Host { get; }

    public string GuestDirectory => Path.Combine(State.Root, "qemu");
    public string PoolPath => State.PoolDir("images");

    public GuestHostFixture()
    {
        Host = State.OpenHost();
        Host.Pools.Define($"<pool type='dir'><name>images</name><target><path>{PoolPath}</path></target></pool>");
        Host.Pools.Build("images", PoolBuildFlags.None);
        Host.Pools.Start("images", PoolBuildFlags.None);
        // The volumes' files, made directly: a sparse raw file and a native qcow2 image.
        using (var raw = File.Create(Path.Combine(PoolPath, "data.raw"))) raw.SetLength(4 << 20);
        KvmStor.Images.Qcow2.Qcow2Image.Create(Path.Combine(PoolPath, "disk.qcow2"), new() { VirtualSize = 4 << 20 });
    }

    public string GuestFile(string name) => Path.Combine(GuestDirectory, name + ".xml");

    public void Dispose()
    {
        Host.Dispose();
        State.Dispose();
    }
}
