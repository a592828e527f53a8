using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Conformance;

/// <summary>qemu-img command rules beyond the golden files: every refusal text and the policy knobs.</summary>
public class QemuImgCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-qemuimg-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static VolumeDefinition Vol(string format, ulong capacity = 1 << 20, ulong? allocation = null) => new()
    {
        Name = "v.img",
        Type = VolumeType.File,
        Capacity = capacity,
        Allocation = allocation ?? capacity,
        Target = new VolumeTarget { Path = "/pool/v.img", Format = format },
    };

    private static VolumeEncryption Luks(int secrets = 1, string format = "luks") => new()
    {
        Format = format,
        Secrets = Enumerable.Range(0, secrets).Select(_ => new EncryptionSecret("passphrase", Guid.Empty, null)).ToList(),
    };

    private static string Argv(QemuImgRequest request, QemuImgOptions? options = null) =>
        string.Concat(QemuImgCommand.BuildAll(request, options).Select(c => c.ToArgvString()));

    private static string Error(QemuImgRequest request, QemuImgOptions? options = null) =>
        Assert.Throws<StorageException>(() => QemuImgCommand.BuildAll(request, options)).Display;

    private static QemuImgOptions NoBackingCheck => new() { BackingStoreAccess = _ => 0 };

    [Fact]
    public void PreallocationOnlyForQcow2() =>
        Assert.Equal("unsupported configuration: metadata preallocation only available with qcow2",
            Error(new QemuImgRequest { Volume = Vol("vmdk"), PreallocateMetadata = true }));

    [Fact]
    public void CompatOnlyForQcow2()
    {
        var vol = Vol("qed");
        vol = vol with { Target = vol.Target with { Compat = "1.1" } };
        Assert.Equal("unsupported configuration: compatibility option only available with qcow2",
            Error(new QemuImgRequest { Volume = vol }));
    }

    [Fact]
    public void FeaturesOnlyForQcow2()
    {
        var vol = Vol("raw");
        vol = vol with { Target = vol.Target with { Features = [] } };
        Assert.Equal("unsupported configuration: format features only available with qcow2",
            Error(new QemuImgRequest { Volume = vol }));
    }

    [Fact]
    public void RawFilesOnlyTakeLuks()
    {
        var vol = Vol("raw");
        vol = vol with { Target = vol.Target with { Encryption = new VolumeEncryption { Format = "qcow" } } };
        Assert.Equal("internal error: Only luks encryption is supported for raw files",
            Error(new QemuImgRequest { Volume = vol }));
    }

    [Fact]
    public void RawWithBackingStore()
    {
        var vol = Vol("raw") with { BackingStore = new VolumeTarget { Path = "/dev/null", Format = "raw" } };
        Assert.Equal("unsupported configuration: cannot set backing store for raw volume",
            Error(new QemuImgRequest { Volume = vol }, NoBackingCheck));
    }

    [Fact]
    public void PreallocationWithBackingStore()
    {
        var vol = Vol("qcow2") with { BackingStore = new VolumeTarget { Path = "/dev/null", Format = "raw" } };
        Assert.Equal("unsupported configuration: metadata preallocation conflicts with backing store",
            Error(new QemuImgRequest { Volume = vol, PreallocateMetadata = true }, NoBackingCheck));
    }

    [Fact]
    public void ConversionCannotChangeTheBackingStore()
    {
        var vol = Vol("qcow2") with { BackingStore = new VolumeTarget { Path = "/a", Format = "raw" } };
        var input = Vol("qcow2") with { Name = "in", BackingStore = new VolumeTarget { Path = "/b", Format = "raw" } };
        Assert.Equal("internal error: a different backing store cannot be specified.",
            Error(new QemuImgRequest { Volume = vol, InputVolume = input }, NoBackingCheck));
    }

    [Fact]
    public void BackingStoreMustBeReadable()
    {
        string missing = Path.Combine(_dir, "gone.qcow2");
        var vol = Vol("qcow2") with { BackingStore = new VolumeTarget { Path = missing, Format = "qcow2" } };
        Assert.Equal($"inaccessible backing store volume {missing}: No such file or directory",
            Error(new QemuImgRequest { Volume = vol }));
    }

    [Fact]
    public void RelativeBackingStoreIsCheckedInsideThePool()
    {
        File.WriteAllBytes(Path.Combine(_dir, "base.qcow2"), [0]);
        var vol = Vol("qcow2", capacity: 0) with { BackingStore = new VolumeTarget { Path = "base.qcow2", Format = "qcow2" } };
        Assert.Equal("qemu-img \\\ncreate \\\n-f qcow2 \\\n-b base.qcow2 \\\n-o backing_fmt=qcow2,compat=0.10 \\\n/pool/v.img\n",
            Argv(new QemuImgRequest { Volume = vol, PoolTargetPath = _dir }));
        Assert.Contains("inaccessible backing store volume base.qcow2",
            Error(new QemuImgRequest { Volume = vol, PoolTargetPath = "/nonexistent-pool" }));
    }

    [Theory]
    [InlineData("vmdk", "luks", 1, "unsupported configuration: volume encryption unsupported with format vmdk")]
    [InlineData("qcow2", "default", 1, "unsupported configuration: creation of qcow2 encrypted image is not supported")]
    [InlineData("qcow2", "qcow", 1, "unsupported configuration: creation of qcow2 encrypted image is not supported")]
    [InlineData("qcow2", "luks2", 1, "unsupported configuration: unsupported volume encryption format 3")]
    [InlineData("raw", "luks", 2, "XML error: too many secrets for luks encryption")]
    [InlineData("qcow2", "luks", 0, "XML error: no secret provided for luks encryption")]
    public void EncryptionRefusals(string format, string encryption, int secrets, string expected)
    {
        var vol = Vol(format);
        vol = vol with { Target = vol.Target with { Encryption = Luks(secrets, encryption) } };
        Assert.Equal(expected, Error(new QemuImgRequest { Volume = vol, SecretPath = "/s" }));
    }

    [Fact]
    public void EncryptedInputMustBeLuks()
    {
        var input = Vol("qcow2") with { Name = "in" };
        input = input with { Target = input.Target with { Encryption = new VolumeEncryption { Format = "qcow" } } };
        Assert.Equal("unsupported configuration: encryption format of inputvol must be LUKS",
            Error(new QemuImgRequest { Volume = Vol("qcow2"), InputVolume = input }));
    }

    [Fact]
    public void SecretFilesAreRequired()
    {
        var vol = Vol("raw");
        vol = vol with { Target = vol.Target with { Encryption = Luks() } };
        Assert.Equal("internal error: path to secret data file is required", Error(new QemuImgRequest { Volume = vol }));
        var input = vol with { Name = "in" };
        Assert.Equal("internal error: path to inputvol secret data file is required",
            Error(new QemuImgRequest { Volume = Vol("qcow2"), InputVolume = input }));
    }

    [Fact]
    public void ExtendedL2RefusedWithCompat010()
    {
        var vol = Vol("qcow2");
        vol = vol with { Target = vol.Target with { Compat = "0.10", Features = ["extended_l2"] } };
        Assert.Equal("unsupported configuration: 'extended_l2' not supported with compat level 0.10",
            Error(new QemuImgRequest { Volume = vol }));
    }

    [Fact]
    public void InputNeedsAPath()
    {
        var input = Vol("raw") with { Name = "in", Target = new VolumeTarget { Format = "raw" } };
        Assert.Equal("invalid argument: missing input volume target path",
            Error(new QemuImgRequest { Volume = Vol("qcow2"), InputVolume = input }));
    }

    [Fact]
    public void LazyRefcountsRefusedWithTheDefaultCompat010()
    {
        var vol = Vol("qcow2");
        vol = vol with { Target = vol.Target with { Features = ["lazy_refcounts"] } };
        Assert.Equal("unsupported configuration: lazy_refcounts not supported with compat level 0.10",
            Error(new QemuImgRequest { Volume = vol }));
        Assert.Contains("-o compat=1.1,lazy_refcounts \\\n",
            Argv(new QemuImgRequest { Volume = vol }, new QemuImgOptions { Qcow2DefaultCompat = "1.1" }));
    }

    [Fact]
    public void Qcow2DefaultCompatIsAChoice()
    {
        var request = new QemuImgRequest { Volume = Vol("qcow2") };
        Assert.Contains("-o compat=0.10 \\\n", Argv(request));
        Assert.Contains("-o compat=1.1 \\\n", Argv(request, new QemuImgOptions { Qcow2DefaultCompat = "1.1" }));
        Assert.Equal("qemu-img \\\ncreate \\\n-f qcow2 \\\n/pool/v.img \\\n1024K\n",
            Argv(request, new QemuImgOptions { Qcow2DefaultCompat = null }));
        Assert.DoesNotContain("compat", Argv(new QemuImgRequest { Volume = Vol("vmdk") }));
    }

    [Theory]
    [InlineData(0UL, "0K")]
    [InlineData(1UL, "1K")]
    [InlineData(1024UL, "1K")]
    [InlineData(1025UL, "2K")]
    public void SizeIsKibibytesRoundedUp(ulong capacity, string size) =>
        Assert.EndsWith($"\\\n{size}\n", Argv(new QemuImgRequest { Volume = Vol("qed", capacity) }));

    [Fact]
    public void PreallocationIsFallocWhenFullyAllocated()
    {
        Assert.Contains("preallocation=falloc", Argv(new QemuImgRequest { Volume = Vol("qcow2"), PreallocateMetadata = true }));
        Assert.Contains("preallocation=metadata",
            Argv(new QemuImgRequest { Volume = Vol("qcow2", allocation: 0), PreallocateMetadata = true }));
        // Compared in KiB rounded up, as libvirt does: 1000 bytes over 999 is still "1K over 1K".
        Assert.Contains("preallocation=falloc",
            Argv(new QemuImgRequest { Volume = Vol("qcow2", capacity: 1000, allocation: 999), PreallocateMetadata = true }));
    }

    [Fact]
    public void BlockAndIsoVolumesAreWrittenAsRaw()
    {
        var block = Vol("qcow2") with { Type = VolumeType.Block };
        var iso = Vol("iso") with { Name = "in", Target = new VolumeTarget { Path = "/pool/in.iso", Format = "iso" } };
        Assert.Equal("qemu-img \\\nconvert \\\n-f raw \\\n-O raw \\\n/pool/in.iso \\\n/pool/v.img\n",
            Argv(new QemuImgRequest { Volume = block, InputVolume = iso }));
    }

    [Fact]
    public void VolumesWithoutTypeTakeTheirPoolsType()
    {
        var lv = Vol("qcow2") with { Type = null };
        var input = Vol("qcow2") with { Name = "in", Type = null, Target = new VolumeTarget { Path = "/dev/vg/in" } };
        Assert.Equal("qemu-img \\\nconvert \\\n-f raw \\\n-O raw \\\n/dev/vg/in \\\n/pool/v.img\n",
            Argv(new QemuImgRequest { Volume = lv, PoolType = PoolType.Logical, InputVolume = input, InputPoolType = PoolType.Logical }));
        Assert.Contains("-O qcow2", Argv(new QemuImgRequest { Volume = lv, PoolType = PoolType.Dir, InputVolume = input, InputPoolType = PoolType.Logical }));
    }

    [Fact]
    public void CommasInSecretPathsAreDoubled()
    {
        var vol = Vol("raw");
        vol = vol with { Target = vol.Target with { Encryption = Luks() } };
        Assert.Contains("--object secret,id=v.img_encrypt0,file=/run/a,,b \\\n",
            Argv(new QemuImgRequest { Volume = vol, SecretPath = "/run/a,b" }));
    }

    [Fact]
    public void TwoStepsOnlyWhenEncryptionMeetsAnInput()
    {
        var plain = Vol("qcow2");
        var encrypted = plain with { Target = plain.Target with { Encryption = Luks() } };
        Assert.False(QemuImgCommand.NeedsTwoSteps(new QemuImgRequest { Volume = encrypted }));
        Assert.False(QemuImgCommand.NeedsTwoSteps(new QemuImgRequest { Volume = plain, InputVolume = plain }));
        Assert.True(QemuImgCommand.NeedsTwoSteps(new QemuImgRequest { Volume = plain, InputVolume = encrypted }));
        Assert.Equal(2, QemuImgCommand.BuildAll(new QemuImgRequest
        {
            Volume = encrypted, InputVolume = plain with { Name = "in" }, SecretPath = "/s",
        }).Count);
    }

    [Fact]
    public void ProgramIsConfigurable() =>
        Assert.Equal("/usr/local/bin/qemu-img",
            QemuImgCommand.Build(new QemuImgRequest { Volume = Vol("qcow2") }, options: new QemuImgOptions { Program = "/usr/local/bin/qemu-img" }).Program);
}
