namespace KvmStor.IntegrationTests;

/// <summary>
/// A volume or pool a defined guest uses is not deleted, wiped, shrunk, overwritten or undefined out from under it
/// (libvirt allows all of these); --force overrides. Through the real binary, in a temp session state.
/// </summary>
public sealed class GuestProtectionTests : IDisposable
{
    private readonly KvmstorProcess _k = new();

    public void Dispose() => _k.Dispose();

    private string Pools => Path.Combine(_k.Root, "pools");

    private void Ok(params string[] args)
    {
        var (code, _, err) = _k.Run(args);
        Assert.True(code == 0, string.Join(' ', args) + ": " + err);
    }

    private string Fails(params string[] args)
    {
        var (code, _, err) = _k.Run(args);
        Assert.Equal(1, code);
        return err;
    }

    [Fact]
    public void Every_destructive_operation_names_the_guest_and_force_overrides()
    {
        Ok("pool-define-as", "images", "dir", "--target", $"{Pools}/images");
        Ok("pool-start", "images", "--build");
        Ok("vol-create-as", "images", "root.qcow2", "64M", "--format", "qcow2");
        Ok("vol-create-as", "images", "spare.img", "8M");
        string domain = Path.Combine(_k.Root, "vm1.xml");
        File.WriteAllText(domain, "<domain type='qemu'><name>vm1</name><memory unit='MiB'>64</memory><devices/></domain>");
        Ok("define", domain);
        Ok("attach-disk", "vm1", "--pool", "images", "--vol", "root.qcow2", "--target", "vda");

        // Who uses what, in the JSON of vol-list and vol-info (virsh's text output is unchanged).
        var (_, list, _) = _k.Run("vol-list", "images", "--json");
        using (var doc = System.Text.Json.JsonDocument.Parse(list))
        {
            var root = doc.RootElement.EnumerateArray().Single(v => v.GetProperty("name").GetString() == "root.qcow2");
            var user = Assert.Single(root.GetProperty("usedBy").EnumerateArray());
            Assert.Equal(("vm1", "vda"), (user.GetProperty("guest").GetString(), user.GetProperty("target").GetString()));
            var spare = doc.RootElement.EnumerateArray().Single(v => v.GetProperty("name").GetString() == "spare.img");
            Assert.Empty(spare.GetProperty("usedBy").EnumerateArray());
        }
        Assert.Contains("\"guest\": \"vm1\"", _k.Run("vol-info", "root.qcow2", "--pool", "images", "--json").Stdout);

        const string Used = "operation forbidden: storage volume 'root.qcow2' is used by guest 'vm1' (vda); use --force to override";
        Assert.Equal($"error: Failed to delete vol root.qcow2\nerror: {Used}\n", Fails("vol-delete", "root.qcow2", "--pool", "images"));
        Assert.EndsWith($"error: {Used}\n", Fails("vol-wipe", "root.qcow2", "--pool", "images"));
        Assert.EndsWith($"error: {Used}\n", Fails("vol-resize", "root.qcow2", "32M", "--pool", "images", "--shrink"));
        string data = Path.Combine(_k.Root, "data.bin");
        File.WriteAllBytes(data, new byte[4096]);
        Assert.EndsWith($"error: {Used}\n", Fails("vol-upload", "root.qcow2", data, "--pool", "images"));
        Ok("vol-resize", "root.qcow2", "128M", "--pool", "images"); // growing is harmless
        Ok("vol-delete", "spare.img", "--pool", "images");           // unused volumes are not protected

        Ok("pool-destroy", "images");
        Assert.EndsWith("error: operation forbidden: storage pool 'images' is used by guest 'vm1' (vda); use --force to override\n",
            Fails("pool-undefine", "images"));
        Assert.EndsWith("error: operation forbidden: storage pool 'images' is used by guest 'vm1' (vda); use --force to override\n",
            Fails("pool-delete", "images"));

        Ok("pool-start", "images");
        Assert.True(File.Exists(Path.Combine(Pools, "images", "root.qcow2")));
        Ok("vol-delete", "root.qcow2", "--pool", "images", "--force");
        Assert.False(File.Exists(Path.Combine(Pools, "images", "root.qcow2")));
    }
}
