using System.Text.Json;

namespace KvmStor.IntegrationTests.Ceph;

/// <summary>
/// rbd pools against a real Ceph through the real binary: every result is checked with the rbd tool.
/// </summary>
[Collection("Ceph")]
public sealed class RbdPoolLifecycleTests(CephCluster cluster)
{
    private static string Unique(string stem) => $"{stem}-{Guid.NewGuid().ToString("N")[..8]}";

    [Fact]
    public void Pool_starts_with_the_secret_and_reports_the_cluster_sizes()
    {
        using var session = new RbdPoolSession(cluster);
        string xml = session.Must("pool-dumpxml", session.PoolName);
        Assert.Contains("<host name='127.0.0.1'/>", xml);
        Assert.Contains("<auth type='ceph' username='admin'>", xml);
        Assert.Contains($"<secret usage='{session.Usage}'/>", xml);
        Assert.DoesNotContain(cluster.Key, xml);

        string info = session.Must("pool-info", session.PoolName, "--bytes");
        Assert.Contains("State:          running", info);
        ulong capacity = ulong.Parse(Line(info, "Capacity:").Split(' ')[0]);
        ulong available = ulong.Parse(Line(info, "Available:").Split(' ')[0]);
        Assert.True(capacity >= 1UL << 30, info);             // the memstore OSD's 2 GiB, through the mgr
        Assert.InRange(available, 1UL, capacity);

        session.Must("pool-destroy", session.PoolName);
        Assert.Contains("inactive", session.Must("pool-list", "--all"));
        session.Must("pool-undefine", session.PoolName);
    }

    [Fact]
    public void Volume_life_cycle_create_resize_upload_download_wipe_delete()
    {
        using var session = new RbdPoolSession(cluster);
        string pool = session.PoolName, vol = Unique("life");
        session.Must("vol-create-as", pool, vol, "12M");
        var info = cluster.Info(vol)!.Value;
        Assert.Equal(12L << 20, info.GetProperty("size").GetInt64());

        string xml = session.Must("vol-dumpxml", "--pool", pool, vol);
        Assert.Contains("<volume type='network'>", xml);
        Assert.Contains($"<key>{cluster.Pool}/{vol}</key>", xml);
        Assert.Contains($"<path>{cluster.Pool}/{vol}</path>", xml);
        Assert.Contains("<format type='raw'/>", xml);
        Assert.Contains("<capacity unit='bytes'>12582912</capacity>", xml);
        Assert.Contains("<allocation unit='bytes'>0</allocation>", xml);
        Assert.Contains(vol, session.Must("vol-list", pool));
        // The key and the path find it too.
        Assert.Contains(vol, session.Must("vol-info", $"{cluster.Pool}/{vol}"));

        // Grow; shrink only with --shrink.
        session.Must("vol-resize", "--pool", pool, vol, "20M");
        Assert.Equal(20L << 20, cluster.Info(vol)!.Value.GetProperty("size").GetInt64());
        var refused = session.Run("vol-resize", "--pool", pool, vol, "16M");
        Assert.Equal(1, refused.Code);
        Assert.Contains("shrink flag", refused.Stderr);
        session.Must("vol-resize", "--pool", pool, vol, "16M", "--shrink");
        Assert.Equal(16L << 20, cluster.Info(vol)!.Value.GetProperty("size").GetInt64());

        // A sparse upload: data in the first MiB and at 9 MiB, zeros elsewhere.
        byte[] content = new byte[16 << 20];
        Random.Shared.NextBytes(content.AsSpan(0, 1 << 20));
        Random.Shared.NextBytes(content.AsSpan(9 << 20, 4096));
        string input = Path.Combine(session.Kvmstor.Root, "in.raw");
        File.WriteAllBytes(input, content);
        session.Must("vol-upload", "--pool", pool, vol, input, "--sparse");
        Assert.Equal(content, cluster.Export(vol));
        string du = cluster.Rbd("du", $"{cluster.Pool}/{vol}").Stdout;
        Assert.Contains("8 MiB", du);                             // two 4 MiB objects, the rest never written
        Assert.Contains("<allocation unit='bytes'>8388608</allocation>", session.Must("vol-dumpxml", "--pool", pool, vol));

        string output = Path.Combine(session.Kvmstor.Root, "out.raw");
        session.Must("vol-download", "--pool", pool, vol, output, "--sparse");
        Assert.Equal(content, File.ReadAllBytes(output));
        string part = Path.Combine(session.Kvmstor.Root, "part.raw");
        session.Must("vol-download", "--pool", pool, vol, part, "--offset", "4096", "--length", "8192");
        Assert.Equal(content.AsSpan(4096, 8192).ToArray(), File.ReadAllBytes(part));

        // Too much data for the volume is refused before anything is written.
        string tooBig = Path.Combine(session.Kvmstor.Root, "big.raw");
        File.WriteAllBytes(tooBig, new byte[(16 << 20) + 1]);
        var overflow = session.Run("vol-upload", "--pool", pool, vol, tooBig);
        Assert.Equal(1, overflow.Code);
        Assert.Contains("exceeds the capacity", overflow.Stderr);

        session.Must("vol-wipe", "--pool", pool, vol);            // zero: libvirt writes zeros
        Assert.True(cluster.Export(vol).All(b => b == 0));
        session.Must("vol-wipe", "--pool", pool, vol, "--algorithm", "trim");
        Assert.Contains("<allocation unit='bytes'>0</allocation>", session.Must("vol-dumpxml", "--pool", pool, vol));
        var other = session.Run("vol-wipe", "--pool", pool, vol, "--algorithm", "dod");
        Assert.Equal(1, other.Code);
        Assert.Contains("unsupported algorithm 2", other.Stderr);

        session.Must("vol-delete", "--pool", pool, vol);
        Assert.Null(cluster.Info(vol));
    }

    [Fact]
    public void Clone_is_copy_on_write_through_a_protected_snapshot_and_snapshots_block_a_plain_delete()
    {
        using var session = new RbdPoolSession(cluster);
        string pool = session.PoolName, source = Unique("base"), clone = Unique("clone"), second = Unique("clone2");
        session.Must("vol-create-as", pool, source, "8M");
        byte[] content = new byte[8 << 20];
        Random.Shared.NextBytes(content.AsSpan(0, 64 << 10));
        string input = Path.Combine(session.Kvmstor.Root, "in.raw");
        File.WriteAllBytes(input, content);
        session.Must("vol-upload", "--pool", pool, source, input);

        session.Must("vol-clone", "--pool", pool, source, clone);
        var parent = cluster.Info(clone)!.Value.GetProperty("parent");
        Assert.Equal(cluster.Pool, parent.GetProperty("pool").GetString());
        Assert.Equal(source, parent.GetProperty("image").GetString());
        string snapshot = parent.GetProperty("snapshot").GetString()!;
        Assert.StartsWith("libvirt-", snapshot);
        var snaps = JsonDocument.Parse(cluster.Rbd("snap", "ls", "--format", "json", $"{cluster.Pool}/{source}").Stdout).RootElement;
        Assert.Equal(1, snaps.GetArrayLength());
        Assert.Contains("protected: True", cluster.Rbd("info", $"{cluster.Pool}/{source}@{snapshot}").Stdout);
        Assert.Equal(content, cluster.Export(clone));

        // The source did not change: the second clone reuses the snapshot (libvirt's rule).
        session.Must("vol-clone", "--pool", pool, source, second);
        Assert.Equal(snapshot, cluster.Info(second)!.Value.GetProperty("parent").GetProperty("snapshot").GetString());

        // --full-copy: an independent image with the same data, no parent, no new snapshot.
        string full = Unique("full");
        session.Must("vol-clone", "--pool", pool, source, full, "--full-copy");
        Assert.False(cluster.Info(full)!.Value.TryGetProperty("parent", out _));
        Assert.Equal(content, cluster.Export(full));
        Assert.Equal(1, JsonDocument.Parse(cluster.Rbd("snap", "ls", "--format", "json", $"{cluster.Pool}/{source}").Stdout).RootElement.GetArrayLength());
        session.Must("vol-delete", "--pool", pool, full);

        // Images with snapshots are deleted only with --delete-snapshots; a snapshot with clones cannot go.
        var plain = session.Run("vol-delete", "--pool", pool, source);
        Assert.Equal(1, plain.Code);
        Assert.Contains($"failed to remove volume '{cluster.Pool}/{source}': Directory not empty", plain.Stderr);
        var busy = session.Run("vol-delete", "--pool", pool, source, "--delete-snapshots");
        Assert.Equal(1, busy.Code);
        Assert.Contains("failed to unprotect snapshot", busy.Stderr);
        session.Must("vol-delete", "--pool", pool, clone);
        session.Must("vol-delete", "--pool", pool, second);
        session.Must("vol-delete", "--pool", pool, source, "--delete-snapshots");
        Assert.Null(cluster.Info(source));
        Assert.Null(cluster.Info(clone));
    }

    [Fact]
    public void Xml_pool_with_config_opts_and_capacity_allocation_refresh()
    {
        using var session = new RbdPoolSession(cluster, start: false);
        string name = Unique("xmlpool"), vol = Unique("xml");
        string xml = $"""
            <pool type='rbd' xmlns:rbd='http://libvirt.org/schemas/storagepool/rbd/1.0'>
              <name>{name}</name>
              <source>
                <host name='127.0.0.1' port='6789'/>
                <name>{cluster.Pool}</name>
                <auth type='ceph' username='admin'>
                  <secret uuid='{session.SecretUuid}'/>
                </auth>
              </source>
              <refresh>
                <volume allocation='capacity'/>
              </refresh>
              <rbd:config_opts>
                <rbd:option name='rbd_default_features' value='1'/>
              </rbd:config_opts>
            </pool>
            """;
        string file = Path.Combine(session.Kvmstor.Root, "pool.xml");
        File.WriteAllText(file, xml);
        session.Must("pool-define", file);
        session.Must("pool-start", name);
        string dumped = session.Must("pool-dumpxml", name);
        Assert.Contains("<rbd:option name='rbd_default_features' value='1'/>", dumped);
        Assert.Contains("<volume allocation='capacity'/>", dumped);

        session.Must("vol-create-as", name, vol, "10M");
        // The option reached librbd: layering only.
        var features = cluster.Info(vol)!.Value.GetProperty("features").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Equal(["layering"], features);
        // allocation='capacity': the whole image in objects, without reading any map.
        Assert.Contains("<allocation unit='bytes'>12582912</allocation>", session.Must("vol-dumpxml", "--pool", name, vol));
        session.Must("vol-delete", "--pool", name, vol);

        var qcow2 = session.Run("vol-create-as", name, vol, "10M", "--format", "qcow2");
        Assert.Equal(1, qcow2.Code);
        Assert.Contains("only RAW volumes are supported by this storage pool", qcow2.Stderr);
        session.Must("pool-destroy", name);
    }

    [Fact]
    public void A_wrong_key_fails_to_connect_and_names_the_monitors_but_not_the_key()
    {
        using var session = new RbdPoolSession(cluster, start: false);
        string wrong = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        string keyFile = Path.Combine(session.Kvmstor.Root, "wrong");
        // A well-formed cephx key with a wrong secret.
        File.WriteAllText(keyFile, Convert.ToBase64String([1, 0, .. new byte[10], 16, 0, .. Convert.FromBase64String(wrong)]));
        session.Must("secret-set-value", session.SecretUuid, "--file", keyFile);
        var result = session.RunWith(new() { ["KVMSTOR_NETWORK_TIMEOUT"] = "5" }, "pool-start", session.PoolName);
        Assert.Equal(1, result.Code);
        Assert.Contains("127.0.0.1,", result.Stderr);
        Assert.DoesNotContain(cluster.Key, result.Stderr + result.Stdout);
    }

    private static string Line(string text, string label) =>
        text.Split('\n').First(l => l.StartsWith(label, StringComparison.Ordinal))[label.Length..].Trim();
}
