using KvmStor.Images.Qcow2;
using static KvmStor.IntegrationTests.Qcow2LifecycleTests;

namespace KvmStor.IntegrationTests;

/// <summary>WriteZeroes turns whole clusters into unallocated or zero clusters; qemu must agree on content and consistency.</summary>
public sealed class Qcow2ZeroWriteTests
{
    private const int Size = 4 * 1024 * 1024;

    [Theory]
    [InlineData("v2")]
    [InlineData("v3")]
    [InlineData("v3-4k")]
    [InlineData("extl2")]
    [InlineData("backing-v2")]
    [InlineData("backing-v3")]
    [InlineData("backing-extl2")]
    [InlineData("qemu-compressed")]
    [InlineData("qemu-snapshot")]
    public void WriteZeroes_ReadsZeros_FreesWholeClusters_AndStaysConsistent(string variant)
    {
        using var dir = new Qcow2ScratchDir();
        string image = dir.File("z.qcow2");
        var random = new Random(variant.GetHashCode());
        var model = new byte[Size];
        bool hasBacking = variant.StartsWith("backing");
        if (hasBacking)
        {
            random.NextBytes(model);
            File.WriteAllBytes(dir.File("base.raw"), model);
        }

        if (variant.StartsWith("qemu"))
        {
            var raw = new byte[Size];
            random.NextBytes(raw.AsSpan(0, 3 * 1024 * 1024));
            File.WriteAllBytes(dir.File("src.raw"), raw);
            Qcow2QemuTools.RunOk("qemu-img", ["convert", "-O", "qcow2", .. variant == "qemu-compressed" ? new[] { "-c" } : [], dir.File("src.raw"), image]);
            if (variant == "qemu-snapshot") Qcow2QemuTools.RunOk("qemu-img", "snapshot", "-c", "s1", image);
            raw.CopyTo(model, 0);
        }
        else
        {
            Qcow2Image.Create(image, new Qcow2CreateOptions
            {
                VirtualSize = Size,
                Compat = variant.EndsWith("v2") ? "0.10" : "1.1",
                ClusterSize = variant.EndsWith("4k") ? 4096 : 65536,
                ExtendedL2 = variant.EndsWith("extl2"),
                BackingFile = hasBacking ? "base.raw" : null,
                BackingFormat = hasBacking ? "raw" : null,
            });
            var data = new byte[3 * 1024 * 1024];
            random.NextBytes(data);
            using Qcow2Image img = Qcow2Image.Open(image, writable: true);
            img.Write(0, data);
            data.CopyTo(model, 0);
        }

        long fileBefore = new FileInfo(image).Length;
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
        {
            foreach ((int offset, int length) in new[] { (65536, 262144), (300_000, 10_000), (1024 * 1024 + 100, 1024 * 1024), (3 * 1024 * 1024, Size - 3 * 1024 * 1024) })
            {
                img.WriteZeroes(offset, length);
                Array.Clear(model, offset, length);
            }
            // v2 over a backing file must store real zeros; a snapshot makes the L2 tables copy on write.
            if (variant is not ("backing-v2" or "qemu-snapshot"))
            {
                Assert.Equal(fileBefore, new FileInfo(image).Length); // nothing was allocated for the zeros
                var extents = img.GetExtents().ToList();
                Assert.DoesNotContain(extents, e => e.Kind == Qcow2ExtentKind.Data && e.Offset < 65536 + 262144 && e.End > 65536 + 65536);
            }
        }
        Qcow2QemuTools.Check(image);
        AssertSameBytes(model, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "qemu-img convert");
        AssertOurReadEquals(image, model);

        // With the tail zeroed (and no v2 backing forcing real zeros), a shrink over it is allowed.
        if (variant is not ("backing-v2" or "qemu-snapshot"))
        {
            using (Qcow2Image img = Qcow2Image.Open(image, writable: true)) img.Resize(3 * 1024 * 1024, allowShrink: true);
            Qcow2QemuTools.Check(image);
            AssertSameBytes(model.AsSpan(0, 3 * 1024 * 1024).ToArray(), Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "after shrink");
        }
    }
}
