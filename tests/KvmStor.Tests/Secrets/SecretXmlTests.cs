using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Secrets;

/// <summary>libvirt's &lt;secret&gt; XML: round trips byte for byte, and libvirt's texts for bad documents.</summary>
public class SecretXmlTests
{
    private const string Uuid = "c1f11a6d-8c5d-4a3b-ac7a-4e171c5e0d4a";

    [Fact]
    public void IscsiSecretRoundTripsInLibvirtsLayout()
    {
        string xml = $"<secret ephemeral='no' private='yes'>\n  <uuid>{Uuid}</uuid>\n  <description>CHAP for tgt</description>\n"
            + "  <usage type='iscsi'>\n    <target>libvirtiscsi</target>\n  </usage>\n</secret>\n";
        var secret = SecretXml.Parse(xml);
        Assert.Equal(Guid.Parse(Uuid), secret.Uuid);
        Assert.True(secret.Private);
        Assert.False(secret.Ephemeral);
        Assert.Equal(SecretUsageType.Iscsi, secret.UsageType);
        Assert.Equal("libvirtiscsi", secret.UsageId);
        Assert.Equal(xml, SecretXml.Format(secret));
    }

    [Theory]
    [InlineData("ceph", "name", "client.admin secret")]
    [InlineData("volume", "volume", "/var/lib/libvirt/images/enc.qcow2")]
    [InlineData("tls", "name", "tls-certs")]
    public void OtherUsageTypesUseTheirOwnElement(string type, string element, string id)
    {
        var secret = SecretXml.Parse($"<secret><usage type='{type}'><{element}>{id}</{element}></usage></secret>");
        Assert.Equal(id, secret.UsageId);
        string formatted = SecretXml.Format(secret);
        Assert.StartsWith("<secret ephemeral='no' private='no'>\n  <uuid>", formatted);
        Assert.EndsWith($"  <usage type='{type}'>\n    <{element}>{id}</{element}>\n  </usage>\n</secret>\n", formatted);
    }

    [Fact]
    public void MissingUuidIsGeneratedAndNoUsageWritesNoUsageElement()
    {
        var first = SecretXml.Parse("<secret ephemeral='yes'><description>a &amp; b</description></secret>");
        var second = SecretXml.Parse("<secret/>");
        Assert.NotEqual(Guid.Empty, first.Uuid);
        Assert.NotEqual(first.Uuid, second.Uuid);
        Assert.Equal($"<secret ephemeral='yes' private='no'>\n  <uuid>{first.Uuid:D}</uuid>\n  <description>a &amp; b</description>\n</secret>\n",
            SecretXml.Format(first));
    }

    /// <summary>Texts and codes as libvirt 9.0's secret driver reports them (checked with virsh secret-define).</summary>
    [Theory]
    [InlineData("<secret><usage type='nfs'><name>x</name></usage></secret>", ErrorCode.ConfigUnsupported, "unknown secret usage type nfs")]
    [InlineData("<secret><usage><name>x</name></usage></secret>", ErrorCode.XmlError, "unknown secret usage type")]
    [InlineData("<secret><usage type='iscsi'/></secret>", ErrorCode.InternalError, "iSCSI usage specified, but target is missing")]
    [InlineData("<secret><usage type='ceph'><target>x</target></usage></secret>", ErrorCode.InternalError, "Ceph usage specified, but name is missing")]
    [InlineData("<secret><usage type='volume'/></secret>", ErrorCode.InternalError, "volume usage specified, but volume path is missing")]
    [InlineData("<secret><uuid>not-a-uuid</uuid></secret>", ErrorCode.InternalError, "malformed uuid element")]
    [InlineData("<pool/>", ErrorCode.XmlError, "expecting root element of 'secret', not 'pool'")]
    [InlineData("<secret private='maybe'/>", ErrorCode.XmlError, "invalid value of 'private'")]
    [InlineData("<secret ephemeral='maybe'/>", ErrorCode.XmlError, "invalid value of 'ephemeral'")]
    public void BadDocumentsGetLibvirtsErrors(string xml, ErrorCode code, string message)
    {
        var e = Assert.Throws<StorageException>(() => SecretXml.Parse(xml));
        Assert.Equal(code, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void DoctypeIsRefused()
    {
        var e = Assert.Throws<StorageException>(() =>
            SecretXml.Parse("<!DOCTYPE s [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><secret><description>&x;</description></secret>"));
        Assert.Contains("DOCTYPE", e.Message);
    }
}
