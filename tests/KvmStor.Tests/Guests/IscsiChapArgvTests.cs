using KvmStor.Guests;
using KvmStor.Model;

namespace KvmStor.Tests.Guests;

/// <summary>iSCSI volumes of pools with CHAP: qemu gets the user and a secret object reading the secret store's file.</summary>
public sealed class IscsiChapArgvTests
{
    private const string SecretFile = "/run/kvmstor/secrets/0a1b2c3d-0000-4000-8000-000000000001.base64";

    private static readonly PoolDefinition ChapPool = new()
    {
        Type = PoolType.IscsiDirect,
        Name = "chap",
        Source = new PoolSource
        {
            Hosts = [new("127.0.0.1", 3270)],
            Devices = [new() { Path = "iqn.2026-01.test:t" }],
            InitiatorIqn = "iqn.2026-01.test:i",
            Auth = new PoolAuth { Type = AuthType.Chap, Username = "kvmuser", SecretUsage = "mychap" },
        },
    };

    private static PoolVolume Find(string pool, string volume) =>
        new(ChapPool, new VolumeDefinition { Name = volume, Target = new VolumeTarget { Path = "ip-127.0.0.1:3270-iscsi-iqn.2026-01.test:t-lun-1" } });

    private static IReadOnlyList<string> Argv(Func<PoolDefinition, PoolAuth, string>? secrets) =>
        new QemuArgvBuilder(new DiskSourceResolver(Find, secrets)).Build(DomainDocument.Parse(
            "<domain type='qemu'><name>g</name><devices>" +
            "<disk type='volume' device='disk'><source pool='chap' volume='unit:0:0:1'/><target dev='vda' bus='virtio'/></disk>" +
            "<disk type='volume' device='disk'><source pool='chap' volume='unit:0:0:2'/><target dev='vdb' bus='virtio'/></disk>" +
            "</devices></domain>"));

    [Fact]
    public void Chap_goes_to_qemu_as_user_and_password_secret_object_never_the_value()
    {
        PoolAuth? asked = null;
        var argv = Argv((_, auth) => { asked = auth; return SecretFile; });
        Assert.Equal("mychap", asked?.SecretUsage);
        string line = string.Join(" ", argv);
        const string secret = "secret,id=secret-0a1b2c3d-0000-4000-8000-000000000001,format=base64,file=" + SecretFile;
        Assert.Contains("-object " + secret + " -blockdev driver=iscsi,transport=tcp,portal=127.0.0.1:3270,target=iqn.2026-01.test:t,lun=1," +
                        "initiator-name=iqn.2026-01.test:i,user=kvmuser,password-secret=secret-0a1b2c3d-0000-4000-8000-000000000001,", line);
        // Both LUNs use the same secret: one object.
        Assert.Single(argv, a => a == secret);
        Assert.Contains("lun=2,", line);
    }

    [Fact]
    public void Without_a_secret_source_a_chap_pool_is_refused()
    {
        var e = Assert.Throws<StorageException>(() => Argv(null));
        Assert.Contains("CHAP secrets cannot be handed to qemu here", e.Message);
    }
}
