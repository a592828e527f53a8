using KvmStor.Images;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Conformance;

/// <summary>
/// libvirt's storagevolxml2argvtest: each .argv file in storagevolxml2argvdata is the qemu-img command
/// (or, for encrypted conversions, the create and convert commands one after the other) built for a volume,
/// an optional input volume and flags. The case table is libvirt's; upstream renamed vol-encrypt1/2 to
/// vol-luks / vol-luks-convert (same volumes: LuksDemo.img and OtherDemo.img with LUKS secrets).
/// </summary>
public class QemuImgArgvConformanceTests
{
    private sealed record Case(string Argv, string Vol, string? InputVol = null, bool Prealloc = false,
        VolumeParseOptions ParseOptions = VolumeParseOptions.None);

    private static readonly Case[] Cases =
    [
        new("qcow2-compat", "vol-qcow2"),
        new("qcow2-nobacking-prealloc-compat", "vol-qcow2-nobacking", Prealloc: true),
        new("qcow2-nobacking-convert-prealloc-compat", "vol-qcow2-nobacking", "vol-file", Prealloc: true),
        new("qcow2-lazy", "vol-qcow2-lazy"),
        new("qcow2-1.1", "vol-qcow2-1.1"),
        new("qcow2-from-logical-compat", "vol-qcow2-nobacking", "vol-logical"),
        new("logical-from-qcow2", "vol-logical", "vol-qcow2-nobacking"),
        new("qcow2-nocow-compat", "vol-qcow2-nocow"),
        new("qcow2-nocapacity-convert-prealloc", "vol-qcow2-nocapacity", "vol-file", Prealloc: true),
        new("qcow2-zerocapacity", "vol-qcow2-zerocapacity"),
        new("qcow2-nocapacity", "vol-qcow2-nocapacity-backing", ParseOptions: VolumeParseOptions.OptionalCapacity),
        new("iso", "vol-file-iso"),
        new("iso-input", "vol-file", "vol-file-iso"),
        new("luks", "vol-luks"),
        new("luks-cipher", "vol-luks-cipher"),
        new("luks-convert", "vol-luks-convert", "vol-file"),
        new("luks-convert-qcow2", "vol-luks-convert", "vol-file-qcow2"),
        new("luks-convert-encrypt", "vol-luks", "vol-luks-convert"),
        new("luks-convert-encrypt2fileraw", "vol-file", "vol-luks-convert"),
        new("luks-convert-encrypt2fileqcow2", "vol-file-qcow2", "vol-luks-convert"),
        new("qcow2-luks", "vol-qcow2-luks"),
        new("qcow2-luks-convert-encrypt", "vol-qcow2-luks", "vol-qcow2-luks-convert"),
        new("qcow2-luks-convert-encrypt2fileraw", "vol-file", "vol-qcow2-luks-convert"),
        new("qcow2-luks-convert-encrypt2fileqcow2", "vol-file-qcow2", "vol-qcow2-luks-convert"),
        new("qcow2-clusterSize", "vol-qcow2-clusterSize"),
    ];

    public static TheoryData<string> ArgvCases()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases) data.Add(c.Argv);
        return data;
    }

    [Fact]
    public void EveryArgvFileHasACase()
    {
        var files = Directory.GetFiles(VolumeConformanceCases.ArgvData, "*.argv")
            .Select(f => Path.GetFileNameWithoutExtension(f)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(25, files.Count);
        Assert.Equal(files, Cases.Select(c => c.Argv).Order(StringComparer.Ordinal).ToList());
    }

    [Theory, MemberData(nameof(ArgvCases))]
    public void CommandMatchesGoldenArgv(string argv)
    {
        var c = Cases.Single(x => x.Argv == argv);
        var request = Request(c.Vol, c.InputVol, c.Prealloc, c.ParseOptions);
        string actual = string.Concat(QemuImgCommand.BuildAll(request).Select(cmd => cmd.ToArgvString()));
        Assert.Equal(File.ReadAllText(Path.Combine(VolumeConformanceCases.ArgvData, argv + ".argv")), actual);
    }

    [Fact]
    public void Qcow2LazyRefcountsWithCompat010Fails()
    {
        var e = Assert.Throws<StorageException>(() => QemuImgCommand.BuildAll(Request("vol-qcow2-0.10-lazy", null, false)));
        Assert.Equal("unsupported configuration: lazy_refcounts not supported with compat level 0.10", e.Display);
    }

    /// <summary>
    /// qcow2-encryption: vol-qcow2-encryption.xml is not in the copied data; its stale xmlout (a qcow2 volume with
    /// format='qcow' encryption over /dev/null) is a valid input describing the same volume.
    /// </summary>
    [Fact]
    public void Qcow2WithQcowEncryptionFails()
    {
        string xml = File.ReadAllText(Path.Combine(VolumeConformanceCases.VolOut, "_stale", "vol-qcow2-encryption.xml"));
        var vol = VolumeXml.Parse(xml, PoolType.Dir) with { Type = VolumeType.File };
        var e = Assert.Throws<StorageException>(() => QemuImgCommand.BuildAll(new QemuImgRequest
        {
            Volume = vol, PoolTargetPath = VolumeConformanceCases.DirPoolTarget, SecretPath = "/path/to/secretFile",
        }));
        Assert.Equal("unsupported configuration: creation of qcow2 encrypted image is not supported", e.Display);
    }

    private static QemuImgRequest Request(string volName, string? inputName, bool prealloc,
        VolumeParseOptions parseOptions = VolumeParseOptions.None)
    {
        // With an input volume the new volume may omit its capacity (libvirt's test adds NO_CAPACITY).
        if (inputName is not null) parseOptions |= VolumeParseOptions.NoCapacity;
        var pool = VolumeConformanceCases.PoolFor(volName);
        var vol = WithCreatedType(VolumeXml.Parse(File.ReadAllText(VolumeConformanceCases.InputPath(volName)), pool, parseOptions), pool);
        VolumeDefinition? input = null;
        if (inputName is not null)
        {
            var inputPool = VolumeConformanceCases.PoolFor(inputName);
            input = WithCreatedType(VolumeXml.Parse(File.ReadAllText(VolumeConformanceCases.InputPath(inputName)), inputPool), inputPool);
        }
        return new QemuImgRequest
        {
            Volume = vol,
            InputVolume = input,
            PoolTargetPath = VolumeConformanceCases.DirPoolTarget,
            PreallocateMetadata = prealloc,
            SecretPath = "/path/to/secretFile",
            InputSecretPath = "/path/to/inputSecretFile",
        };
    }

    /// <summary>As the test program does (and createVol would): file volumes in dir pools, block in logical.</summary>
    private static VolumeDefinition WithCreatedType(VolumeDefinition vol, PoolType pool) => pool switch
    {
        PoolType.Dir or PoolType.Fs or PoolType.NetFs => vol with { Type = VolumeType.File },
        PoolType.Logical => vol with { Type = VolumeType.Block },
        _ => vol,
    };
}
