using System.Text;

namespace KvmStor.IntegrationTests;

/// <summary>
/// Builds a tiny initramfs (cpio "newc", uncompressed) for the boot test: a static busybox, an /init script,
/// /dev/console, and the kernel modules the guest needs to see virtio disks.
/// </summary>
internal sealed class GuestInitramfs
{
    private readonly MemoryStream _archive = new();
    private int _inode = 1;

    public void Directory(string path) => Entry(path, 0x4000 | 0x1ED, []);            // S_IFDIR 0755
    public void File(string path, byte[] data, bool executable = false) => Entry(path, 0x8000 | (executable ? 0x1ED : 0x1A4), data);
    public void CharDevice(string path, int major, int minor) => Entry(path, 0x2000 | 0x180, [], major, minor); // S_IFCHR 0600

    public byte[] Finish()
    {
        Entry("TRAILER!!!", 0, []);
        return _archive.ToArray();
    }

    private void Entry(string name, int mode, byte[] data, int rdevMajor = 0, int rdevMinor = 0)
    {
        byte[] nameBytes = Encoding.ASCII.GetBytes(name + "\0");
        int[] fields = [_inode++, mode, 0, 0, 1, 0, data.Length, 0, 0, rdevMajor, rdevMinor, nameBytes.Length, 0];
        var header = new StringBuilder("070701");
        foreach (int field in fields) header.Append(field.ToString("X8"));
        Write(Encoding.ASCII.GetBytes(header.ToString()));
        Write(nameBytes);
        Pad();
        Write(data);
        Pad();
    }

    private void Write(byte[] bytes) => _archive.Write(bytes);

    private void Pad()
    {
        while (_archive.Length % 4 != 0) _archive.WriteByte(0);
    }
}
