using System.Xml.Linq;
using KvmStor.Guests;

namespace KvmStor.Tests.Guests;

public class DomainDocumentTests
{
    private static readonly XElement ExtraDisk = new("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
        new XElement("source", new XAttribute("file", "/tmp/extra.img")),
        new XElement("target", new XAttribute("dev", "vdb"), new XAttribute("bus", "virtio")));

    [Fact]
    public void UntouchedDocumentComesBackUnchangedExceptQuoteStyle()
    {
        var doc = DomainDocument.Parse(GuestSamples.Rich);
        string expected = GuestSamples.Rich
            .Replace("xmlns:app=\"http://example.org/app/1\" app:owner=\"ops\"", "xmlns:app='http://example.org/app/1' app:owner='ops'")
            .Replace("type=\"virtio\"", "type='virtio'");
        Assert.Equal(expected, doc.ToString());
    }

    [Fact]
    public void SingleQuotedLibvirtFileRoundTripsByteForByte()
    {
        string xml = GuestSamples.Rich.Replace('"', '\'');
        Assert.Equal(xml, DomainDocument.Parse(xml).ToString());
    }

    [Fact]
    public void AttachThenDetachRestoresTheOriginalText()
    {
        string xml = GuestSamples.Rich.Replace('"', '\'');
        var doc = DomainDocument.Parse(xml);
        doc.AddDisk(new XElement(ExtraDisk));
        string attached = doc.ToString();
        Assert.Contains("""
                  <future-element x='1'/>
                </disk>
                <disk type='file' device='disk'>
                  <source file='/tmp/extra.img'/>
                  <target dev='vdb' bus='virtio'/>
                </disk>
                <interface type='network'>
            """, attached);

        var reparsed = DomainDocument.Parse(attached);
        Assert.Equal(["vda", "vdb"], reparsed.Disks.Select(d => d.TargetDev));
        reparsed.RemoveDisk(reparsed.DiskElementAt(1));
        Assert.Equal(xml, reparsed.ToString());
    }

    [Fact]
    public void DeclarationProcessingInstructionsAndEntitiesSurvive()
    {
        string xml = "<?xml version='1.0' encoding='UTF-8'?>\n<?tool hint?>\n<domain type='kvm'>\n  <name>a</name>\n"
            + "  <description>x &lt; y &amp;&amp; y &gt; z, \"quoted\" 'single'</description>\n  <devices/>\n</domain>\n";
        var doc = DomainDocument.Parse(xml);
        Assert.Equal("x < y && y > z, \"quoted\" 'single'", doc.Root.Element("description")!.Value);
        Assert.Equal(xml.Replace("version='1.0' encoding='UTF-8'", "version=\"1.0\" encoding=\"UTF-8\""), doc.ToString());
    }

    [Fact]
    public void FirstDiskGoesInsideEmptyDevicesWithIndentation()
    {
        var doc = DomainDocument.Parse(GuestSamples.Minimal);
        doc.AddDisk(new XElement(ExtraDisk));
        Assert.Equal("""
            <domain type='kvm'>
              <name>mini</name>
              <memory unit='KiB'>131072</memory>
              <devices>
                <disk type='file' device='disk'>
                  <source file='/tmp/extra.img'/>
                  <target dev='vdb' bus='virtio'/>
                </disk>
              </devices>
            </domain>

            """, doc.ToString());
    }

    [Fact]
    public void DevicesElementIsCreatedWhenMissing()
    {
        var doc = DomainDocument.Parse("<domain type='kvm'>\n  <name>n</name>\n</domain>\n");
        doc.AddDisk(new XElement(ExtraDisk));
        Assert.Equal("<domain type='kvm'>\n  <name>n</name>\n  <devices>\n    <disk type='file' device='disk'>\n"
            + "      <source file='/tmp/extra.img'/>\n      <target dev='vdb' bus='virtio'/>\n    </disk>\n  </devices>\n</domain>\n",
            doc.ToString());
    }

    [Fact]
    public void ReadsTheBootSettings()
    {
        var doc = DomainDocument.Parse(GuestSamples.Rich);
        Assert.Equal("rich", doc.Name);
        Assert.Equal(Guid.Parse("0d3f0e9e-3bd5-4b43-9d0a-3f2c1f1c1a11"), doc.Uuid);
        Assert.Equal(256UL * 1024, doc.MemoryKiB);
        Assert.Equal(2, doc.Vcpus);
        Assert.Equal("pc", doc.Machine);
        Assert.Equal("/boot/vmlinuz", doc.Kernel);
        Assert.Equal("/boot/initrd.img", doc.Initrd);
        Assert.Equal("console=ttyS0 quiet", doc.Cmdline);
        var disk = Assert.Single(doc.Disks);
        Assert.Equal(("file", "disk", "qcow2", "/var/lib/images/rich.qcow2", "virtio"), (disk.Type, disk.Device, disk.DriverType, disk.SourcePath, disk.Bus));
    }

    [Fact]
    public void EnsureUuidAddsOneAfterTheName()
    {
        var doc = DomainDocument.Parse(GuestSamples.Minimal);
        var uuid = Guid.Parse("11111111-2222-3333-4444-555555555555");
        doc.EnsureUuid(uuid);
        Assert.StartsWith("<domain type='kvm'>\n  <name>mini</name>\n  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n  <memory", doc.ToString());
        Assert.Equal(uuid, doc.Uuid);
    }

    [Theory]
    [InlineData("<domain type='kvm'><name>a</name>", "(domain_definition):1: ")]
    [InlineData("<pool type='dir'><name>a</name></pool>", "XML error: unexpected root element <pool>, expecting <domain>")]
    [InlineData("<domain><name>a</name></domain>", "XML error: missing domain type attribute")]
    [InlineData("<domain type='kvm'></domain>", "XML error: missing domain name information")]
    [InlineData("<domain type='kvm'><name>a/b</name></domain>", "XML error: name a/b cannot contain '/'")]
    [InlineData("<domain type='kvm'><name>a</name><uuid>nope</uuid></domain>", "XML error: malformed uuid element")]
    [InlineData("<!DOCTYPE d [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><domain type='kvm'><name>&e;</name></domain>", "XML error: (domain_definition):1: DOCTYPE and entity declarations are not allowed")]
    [InlineData("<domain type='kvm'><name>a</name><devices><disk type='file'><source file='/x'/></disk></devices></domain>", "XML error: missing target information for device /x")]
    [InlineData("<domain type='kvm'><name>a</name><devices><disk type='weird'><target dev='vda'/></disk></devices></domain>", "XML error: unknown disk type 'weird'")]
    public void MalformedDefinitionsAreRefused(string xml, string expectedStart)
    {
        var e = Assert.Throws<StorageException>(() => DomainDocument.Parse(xml));
        Assert.StartsWith(expectedStart, e.Display);
    }
}
