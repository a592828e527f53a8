using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Xml;

/// <summary>The formatter on constructed volumes: every optional part, in libvirt 9.0's order and layout.</summary>
public class VolumeXmlFormatTests
{
    [Fact]
    public void FullVolumeInLibvirtOrder()
    {
        var volume = new VolumeDefinition
        {
            Type = VolumeType.Block,
            Name = "sda1",
            Key = "/dev/sda1",
            SourceDevices = [new VolumeSourceDevice("/dev/sda", [new VolumeExtent(32256, 106928640), new VolumeExtent(2, 3)])],
            Capacity = 106896384,
            Allocation = 1024,
            Physical = 512,
            Target = new VolumeTarget
            {
                Path = "/dev/sda1",
                Format = "linux",
                Permissions = new Permissions { Mode = 0x1B0, Group = 6 },
                Timestamps = new VolumeTimestamps("1.000000001", "2", null, "0"),
            },
        };
        const string expected = """
            <volume type='block'>
              <name>sda1</name>
              <key>/dev/sda1</key>
              <source>
                <device path='/dev/sda'>
                  <extent start='32256' end='106928640'/>
                  <extent start='2' end='3'/>
                </device>
              </source>
              <capacity unit='bytes'>106896384</capacity>
              <allocation unit='bytes'>1024</allocation>
              <physical unit='bytes'>512</physical>
              <target>
                <path>/dev/sda1</path>
                <format type='linux'/>
                <permissions>
                  <mode>0660</mode>
                  <group>6</group>
                </permissions>
                <timestamps>
                  <atime>1.000000001</atime>
                  <mtime>2</mtime>
                  <btime>0</btime>
                </timestamps>
              </target>
            </volume>

            """;
        Assert.Equal(expected, VolumeXml.Format(volume, PoolType.Disk));
    }

    [Fact]
    public void QcowTargetPartsAndEncryption()
    {
        var volume = new VolumeDefinition
        {
            Name = "q'1",
            Capacity = 1,
            Allocation = 0,
            Target = new VolumeTarget
            {
                Path = "/p/q'1",
                Format = "qcow2",
                Encryption = new VolumeEncryption
                {
                    Format = "luks",
                    Engine = "librbd",
                    Secrets = [new EncryptionSecret("passphrase", null, "use&it")],
                    CipherName = "aes", CipherSize = "256", CipherHash = "sha256",
                    IvgenName = "plain64",
                },
                Compat = "1.1",
                NoCow = true,
                ClusterSize = 65536,
                Features = [],
            },
            BackingStore = new VolumeTarget { Path = "/p/base", Format = "raw" },
        };
        const string expected = """
            <volume type='file'>
              <name>q&apos;1</name>
              <capacity unit='bytes'>1</capacity>
              <allocation unit='bytes'>0</allocation>
              <target>
                <path>/p/q&apos;1</path>
                <format type='qcow2'/>
                <encryption format='luks' engine='librbd'>
                  <secret type='passphrase' usage='use&amp;it'/>
                  <cipher name='aes' size='256' hash='sha256'/>
                  <ivgen name='plain64'/>
                </encryption>
                <compat>1.1</compat>
                <clusterSize unit='B'>65536</clusterSize>
                <features/>
              </target>
              <backingStore>
                <path>/p/base</path>
                <format type='raw'/>
              </backingStore>
            </volume>

            """;
        Assert.Equal(expected, VolumeXml.Format(volume, PoolType.Dir));
    }

    [Fact]
    public void CipherIsPrintedForLuksOnly()
    {
        var volume = new VolumeDefinition
        {
            Name = "v",
            Target = new VolumeTarget { Encryption = new VolumeEncryption { Format = "luks2", CipherName = "aes", CipherSize = "256", IvgenName = "plain64" } },
        };
        Assert.Contains("<encryption format='luks2'>\n    </encryption>\n", VolumeXml.Format(volume, PoolType.Rbd));
    }

    [Fact]
    public void PoolsWithoutFormatsPrintNone()
    {
        var volume = new VolumeDefinition { Name = "lv", Type = VolumeType.Block, Capacity = 4, Allocation = 4,
            Target = new VolumeTarget { Path = "/dev/vg/lv", Format = "raw" }, BackingStore = new VolumeTarget { Path = "/dev/vg/o" } };
        string xml = VolumeXml.Format(volume, PoolType.Logical);
        Assert.DoesNotContain("<format", xml);
        Assert.Contains("<backingStore>\n    <path>/dev/vg/o</path>\n  </backingStore>\n", xml);
    }

    [Fact]
    public void MissingFormatPrintsThePoolDefault()
    {
        var volume = new VolumeDefinition { Name = "v", Target = new VolumeTarget { Path = "/p/v" } };
        Assert.Contains("<format type='raw'/>", VolumeXml.Format(volume, PoolType.Dir));
        Assert.Contains("<format type='none'/>", VolumeXml.Format(volume, PoolType.Disk));
    }

    [Fact]
    public void FeaturesPrintInLibvirtOrderAndEmptyPermissionsAreOmitted()
    {
        var volume = new VolumeDefinition
        {
            Name = "v",
            Target = new VolumeTarget { Format = "qcow2", Permissions = new Permissions(), Features = ["extended_l2", "lazy_refcounts"] },
        };
        string xml = VolumeXml.Format(volume, PoolType.Dir);
        Assert.Contains("<features>\n      <lazy_refcounts/>\n      <extended_l2/>\n    </features>\n", xml);
        Assert.DoesNotContain("permissions", xml);
    }

    [Fact]
    public void ExtentlessSourceIsNotPrinted()
    {
        var volume = new VolumeDefinition { Name = "v", SourceDevices = [new VolumeSourceDevice("/dev/sda", [])] };
        Assert.DoesNotContain("<source>", VolumeXml.Format(volume, PoolType.Disk));
    }

    [Fact]
    public void LargeIdsPrintAsLibvirtsSignedInt()
    {
        var volume = new VolumeDefinition { Name = "v", Target = new VolumeTarget { Permissions = new Permissions { Owner = 4294967294, Group = 2147483648 } } };
        Assert.Contains("<owner>-2</owner>\n      <group>-2147483648</group>\n", VolumeXml.Format(volume, PoolType.Dir));
    }

    [Fact]
    public void ModeZeroPrintsAsDoubleZero()
    {
        var volume = new VolumeDefinition { Name = "v", Target = new VolumeTarget { Permissions = new Permissions { Mode = 0, Owner = 744 } } };
        Assert.Contains("<mode>00</mode>\n      <owner>744</owner>\n", VolumeXml.Format(volume, PoolType.Dir));
    }
}
