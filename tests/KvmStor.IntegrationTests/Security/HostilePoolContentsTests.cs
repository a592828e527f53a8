using System.Security.Cryptography;
using KvmStor.Host;

namespace KvmStor.IntegrationTests.Security;

/// <summary>
/// Root runs ordinary kvmstor commands on a dir pool whose directory an unprivileged user owns, while that user
/// attacks it the way the issue describes: links planted at build names from an inotify watcher, links to root's
/// files, build areas swapped for links during clean-up, a FIFO swapped in and out during listings, and a "guest"
/// writing a qcow2 header with a host backing file into its raw disk. In every case the root-only victim files
/// outside the pool are byte-identical, with the same owner and mode, afterwards, and no command hangs.
/// </summary>
public sealed class HostilePoolContentsTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly HostileUser _user = new();
    private readonly VictimFiles _victim = new();
    private readonly KvmstorProcess _k = new();
    private readonly string _before;

    public HostilePoolContentsTests()
    {
        _before = _victim.Snapshot();
        Ok("pool-define-as", "p", "dir", "--target", _user.Pool);
        Ok("pool-start", "p");
    }

    public void Dispose()
    {
        _user.StopAll();
        _k.Dispose();
        _user.Dispose();
        _victim.Dispose();
    }

    private string PoolPath(string name) => Path.Combine(_user.Pool, name);

    private (int Code, string Out, string Err) Kv(params string[] args) => _k.RunBounded(Bound, args);

    private string Ok(params string[] args)
    {
        var (code, o, e) = Kv(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)} failed: {e}");
        return o;
    }

    private string Scratch(string name, int bytes)
    {
        string path = Path.Combine(_user.Scratch, name);
        File.WriteAllBytes(path, RandomNumberGenerator.GetBytes(bytes));
        return path;
    }

    [Fact]
    public void Links_planted_at_build_names_from_an_inotify_watcher_never_redirect_roots_work()
    {
        string data = Scratch("data.raw", 1 << 20);
        Ok("vol-create-as", "p", "base.img", "4M");
        Ok("vol-upload", "base.img", data, "--pool", "p");
        Ok("vol-create-as", "p", "q.qcow2", "8M", "--format", "qcow2");
        _user.Run("qemu-img create -q -f qcow2 \"$POOL/user.qcow2\" 8M && chmod 0666 \"$POOL/user.qcow2\"");

        // The watcher takes every new build area away and puts its own in its place, with a link where the volume
        // would be built; a second loop plants links at the names the old naming scheme made predictable.
        var attacker = _user.Start("""
            cd "$POOL"
            inotifywait -m -q -e create -e moved_to --format '%f' . | while IFS= read -r f; do
              case "$f" in
                .kvmstor-partial.*)
                  if mv -T -- "$f" "stolen.$RANDOM$RANDOM" 2>/dev/null; then
                    mkdir -- "$f" 2>/dev/null && ln -s "$VICTIM" "$f/volume" 2>/dev/null && echo "swapped $f"
                  fi ;;
              esac
            done &
            host=$(hostname | tr . _)
            while :; do
              last=$(cat /proc/sys/kernel/ns_last_pid)
              for p in $(seq $((last + 1)) $((last + 30))); do
                for n in n.img n.qcow2 c.img q.qcow2 base.img user.qcow2; do ln -s "$VICTIM" ".kvmstor-partial.$n.$host.$p" 2>/dev/null; done
              done
              sleep 0.05
            done
            """, new Dictionary<string, string> { ["VICTIM"] = _victim.Secret });
        Thread.Sleep(500); // let inotifywait establish its watch

        for (int i = 0; i < 4; i++)
        {
            Kv("vol-create-as", "p", $"n{i}.img", "1M");
            Kv("vol-create-as", "p", $"n{i}.qcow2", "1M", "--format", "qcow2");
            Kv("vol-clone", "base.img", $"c{i}.img", "--pool", "p");
            Kv("vol-upload", "base.img", data, "--pool", "p");
            Kv("vol-resize", "base.img", $"{5 + i}M", "--pool", "p");
            Kv("vol-wipe", $"n{i}.img", "--pool", "p");
            Kv("vol-wipe", "q.qcow2", "--pool", "p");
            Kv("vol-wipe", "q.qcow2", "--pool", "p", "--algorithm", "random");
            Kv("vol-wipe", "user.qcow2", "--pool", "p");
            Kv("vol-list", "p");
        }
        _user.StopAll();

        Assert.Contains("swapped .kvmstor-partial.", attacker.StandardOutput.ReadToEnd()); // the attack really ran
        Assert.Equal(_before, _victim.Snapshot());
        // The user's own qcow2, rebuilt by the wipe, is still the user's (owner and mode taken from it, set on the new file).
        var userImage = FileSystem.Stat(PoolPath("user.qcow2"), followLinks: false);
        Assert.Equal((FileKind.Regular, _user.Uid, 0b110_110_110), (userImage.Kind, userImage.Owner, userImage.Mode));
        // Whatever the attacker's races did to individual commands, what root made is root's and intact.
        var baseImage = FileSystem.Stat(PoolPath("base.img"), followLinks: false);
        Assert.Equal((FileKind.Regular, 0u), (baseImage.Kind, baseImage.Owner));
        Assert.Equal(File.ReadAllBytes(data), File.ReadAllBytes(PoolPath("base.img"))[..(1 << 20)]);
    }

    [Fact]
    public void Links_the_user_owns_are_listed_but_no_command_follows_them()
    {
        _user.Run($"ln -s '{_victim.Secret}' \"$POOL/evil.img\" && ln -s '{_victim.Directory}' \"$POOL/evildir\"");
        string data = Scratch("data.raw", 4096), output = Path.Combine(_user.Scratch, "out.raw");

        string list = Ok("vol-list", "p");
        Assert.Contains("evil.img", list);
        Assert.Contains("evildir", list);

        string refusal = $"'{PoolPath("evil.img")}' is a symbolic link owned by uid {_user.Uid} ({_user.Name}); kvmstor follows links in a pool only when root owns them";
        foreach (var args in new[]
        {
            new[] { "vol-upload", "evil.img", data, "--pool", "p" },
            ["vol-wipe", "evil.img", "--pool", "p"],
            ["vol-wipe", "evil.img", "--pool", "p", "--algorithm", "random"],
            ["vol-resize", "evil.img", "1G", "--pool", "p"],
            ["vol-download", "evil.img", output, "--pool", "p"],
            ["vol-clone", "evil.img", "copy.img", "--pool", "p"],
        })
        {
            var (code, _, err) = Kv(args);
            Assert.Equal(1, code);
            Assert.Contains(refusal, err);
        }
        Assert.False(File.Exists(output) && new FileInfo(output).Length > 0, "vol-download wrote the linked file's bytes");
        Assert.False(File.Exists(PoolPath("copy.img")));

        Ok("vol-delete", "evil.img", "--pool", "p"); // removes the link itself
        Assert.False(File.Exists(PoolPath("evil.img")) || Directory.Exists(PoolPath("evil.img")));
        Assert.Equal(_before, _victim.Snapshot());

        // Root's own links keep working (an ISO kept elsewhere, linked into the pool).
        string iso = Scratch("debian.iso", 64 * 1024);
        File.CreateSymbolicLink(PoolPath("debian.iso"), iso);
        Ok("vol-download", "debian.iso", output, "--pool", "p");
        Assert.Equal(File.ReadAllBytes(iso), File.ReadAllBytes(output));
    }

    [Fact]
    public void A_link_never_leads_a_write_onto_a_mounted_device()
    {
        string image = Path.Combine(_user.Scratch, "disk.img"), mount = Path.Combine(_user.Scratch, "mnt");
        using (var h = File.OpenHandle(image, FileMode.CreateNew, FileAccess.ReadWrite)) FileSystem.Truncate(h, 64L << 20);
        string device = ImagesTestSupport.Run("losetup", "--find", "--show", image).Trim();
        Directory.CreateDirectory(mount);
        try
        {
            ImagesTestSupport.Run("mkfs.ext4", "-q", device);
            ImagesTestSupport.Run("mount", device, mount);
            File.CreateSymbolicLink(PoolPath("dev.img"), device); // root's own link: followed, but not for writing a mounted device
            string deviceBefore = DeviceHash(device);

            foreach (var args in new[]
            {
                new[] { "vol-wipe", "dev.img", "--pool", "p", "--algorithm", "random" },
                ["vol-upload", "dev.img", Scratch("data.raw", 4096), "--pool", "p"],
            })
            {
                var (code, _, err) = Kv(args);
                Assert.Equal(1, code);
                Assert.Contains("leads to a block device that is mounted or in use", err);
            }
            Assert.Equal(deviceBefore, DeviceHash(device));
        }
        finally
        {
            FsPoolLoopDevice.Run("umount", mount);
            FsPoolLoopDevice.Run("losetup", "-d", device);
        }
    }

    /// <summary>
    /// The device's first KiB, where both refused writes would start (a wipe and an upload both write from offset 0):
    /// ext4 keeps it for a boot loader and never writes it, while the mounted file system may rewrite its superblock,
    /// journal and lazily initialised inode tables behind it at any time (that made a 4 MiB hash fail under load).
    /// </summary>
    private static string DeviceHash(string device)
    {
        using var handle = File.OpenHandle(device, FileMode.Open, FileAccess.Read);
        byte[] head = new byte[1024];
        RandomAccess.Read(handle, head, 0);
        return Convert.ToHexString(SHA256.HashData(head));
    }

    [Fact]
    public void Build_areas_swapped_for_links_during_clean_up_delete_nothing_outside()
    {
        string host = Environment.MachineName.Replace('.', '_');
        string stale = $".kvmstor-partial.{host}.999999.{new string('a', 24)}";
        // A genuine stale area of root's (0700, with a half-made volume in it) that the listing will clean up…
        Directory.CreateDirectory(PoolPath(stale), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(PoolPath(stale), "volume"), "half-made");
        // …while the user keeps swapping it for links to the victim directory, and plants links at other area names.
        _user.Start($$"""
            cd "$POOL"
            ln -s "$VICTIMDIR" '.kvmstor-partial.{{host}}.999998.{{new string('b', 24)}}'
            ln -s "$VICTIMDIR/secret" '.kvmstor-partial.x.img.{{host}}.999997'
            while :; do
              mv -T '{{stale}}' hold 2>/dev/null
              ln -s "$VICTIMDIR" '{{stale}}' 2>/dev/null
              rm -f '{{stale}}'
              mv -T hold '{{stale}}' 2>/dev/null
            done
            """, new Dictionary<string, string> { ["VICTIMDIR"] = _victim.Directory });
        for (int i = 0; i < 40; i++) Ok("vol-list", "p");
        _user.StopAll();
        Ok("vol-list", "p");
        Assert.Equal(_before, _victim.Snapshot());
    }

    [Fact]
    public void A_fifo_swapped_in_and_out_never_blocks_a_listing()
    {
        // renameat2(RENAME_EXCHANGE) (syscall 316 on x86_64) swaps a FIFO and a regular file at the volume's name, atomically.
        var swapper = _user.Start("""
            cd "$POOL"
            mkfifo x.img && printf 'data' > .other
            exec perl -e 'my ($a, $b) = ("x.img", ".other"); while (1) { syscall(316, -100, $a, -100, $b, 2) == 0 or die "$!" }'
            """);
        for (int i = 0; i < 60; i++)
        {
            _k.RunBounded(TimeSpan.FromSeconds(20), "vol-list", "p", "--details");
            _k.RunBounded(TimeSpan.FromSeconds(20), "vol-info", "x.img", "--pool", "p");
            _k.RunBounded(TimeSpan.FromSeconds(20), "vol-download", "x.img", Path.Combine(_user.Scratch, "x.out"), "--pool", "p");
        }
        Assert.False(swapper.HasExited, "the swapping loop stopped: " + (swapper.HasExited ? swapper.StandardError.ReadToEnd() : ""));
        _user.StopAll();
        Assert.Equal(_before, _victim.Snapshot());
    }

    [Fact]
    public void A_guest_cannot_turn_its_raw_disk_into_a_qcow2_with_a_host_backing_file()
    {
        Ok("vol-create-as", "p", "r.img", "16M");
        // The "guest" writes a qcow2 header naming root's secret as backing file into its raw disk.
        string header = Path.Combine(_user.Scratch, "header.qcow2");
        ImagesTestSupport.QemuImg("create", "-q", "-f", "qcow2", "-b", _victim.Secret, "-F", "raw", header, "16M");
        ImagesTestSupport.Run("dd", $"if={header}", $"of={PoolPath("r.img")}", "bs=64k", "count=4", "conv=notrunc", "status=none");

        string xml = Ok("vol-dumpxml", "r.img", "--pool", "p");
        Assert.Contains("<format type='raw'/>", xml);
        Assert.DoesNotContain(_victim.Secret, xml);
        Assert.DoesNotContain("<backingStore>", xml);
        Assert.Contains("<capacity unit='bytes'>16777216</capacity>", xml);

        Ok("vol-clone", "r.img", "c.img", "--pool", "p");
        Assert.Equal(File.ReadAllBytes(PoolPath("r.img")), File.ReadAllBytes(PoolPath("c.img"))); // the disk's own bytes, flat
        Assert.Contains("<format type='raw'/>", Ok("vol-dumpxml", "c.img", "--pool", "p"));

        File.WriteAllText(Path.Combine(_k.Root, "g.xml"), "<domain type='kvm'><name>g</name><memory unit='MiB'>64</memory><devices/></domain>");
        Ok("define", Path.Combine(_k.Root, "g.xml"));
        Ok("attach-disk", "g", "--pool", "p", "--vol", "r.img");
        Assert.Contains("type='raw'", Ok("dumpxml", "g"));
        string argv = Ok("domxml-to-native", "qemu-argv", "--domain", "g");
        Assert.DoesNotContain("qcow2", argv);
        Assert.DoesNotContain(_victim.Secret, argv);

        Ok("vol-wipe", "r.img", "--pool", "p", "--force"); // the guest uses it: kvmstor asks for --force
        byte[] wiped = File.ReadAllBytes(PoolPath("r.img"));
        Assert.Equal(16 << 20, wiped.Length);
        Assert.False(wiped.AsSpan().ContainsAnyExcept((byte)0)); // raw zeros, not a rebuilt qcow2 with the backing file
        Assert.Equal(_before, _victim.Snapshot());
    }
}
