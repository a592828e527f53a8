using KvmStor.Xml;

namespace KvmStor.Tests.Xml;

public class VolumeArgumentsXmlTests
{
    [Fact]
    public void CreateAsWithEveryArgument()
    {
        const string expected = """
            <volume>
              <name>q2</name>
              <capacity>20971520</capacity>
              <allocation>0</allocation>
              <target>
                <format type='qcow2'/>
              </target>
              <backingStore>
                <path>/srv/p1/q1</path>
                <format type='qcow2'/>
              </backingStore>
            </volume>

            """;
        Assert.Equal(expected, VolumeArgumentsXml.CreateAs("q2", 20971520, 0, "qcow2", "/srv/p1/q1", "qcow2"));
    }

    [Fact]
    public void CreateAsMinimalAndBackingWithoutFormat()
    {
        Assert.Equal("<volume>\n  <name>v</name>\n  <capacity>1</capacity>\n</volume>\n", VolumeArgumentsXml.CreateAs("v", 1));
        Assert.EndsWith("  <backingStore>\n    <path>/b</path>\n  </backingStore>\n</volume>\n",
            VolumeArgumentsXml.CreateAs("v", 1, backingPath: "/b"));
    }

    /// <summary>virsh pastes the name in unescaped: a name with markup makes XML the daemon then rejects.</summary>
    [Fact]
    public void CreateAsDoesNotEscape() =>
        Assert.Contains("<name>a<b</name>", VolumeArgumentsXml.CreateAs("a<b", 1));

    [Fact]
    public void CloneReplacesOnlyTheNameAndUsesLibxmlQuoting()
    {
        const string dump = """
            <volume type='file'>
              <name>a&apos;b</name>
              <key>/p/a'b</key>
              <capacity unit='bytes'>1</capacity>
              <target>
                <path>/p/a"b&amp;c</path>
                <format type='raw'/>
                <features/>
              </target>
            </volume>

            """;
        const string expected = """
            <volume type="file">
              <name>new&lt;1&gt;</name>
              <key>/p/a'b</key>
              <capacity unit="bytes">1</capacity>
              <target>
                <path>/p/a"b&amp;c</path>
                <format type="raw"/>
                <features/>
              </target>
            </volume>
            """;
        Assert.Equal(expected, VolumeArgumentsXml.Clone(dump, "new<1>"));
    }

    [Fact]
    public void CloneEscapesQuotesInAttributes() =>
        Assert.Equal("<volume type=\"a&quot;b\"><name>n</name></volume>",
            VolumeArgumentsXml.Clone("<volume type='a\"b'><name>o</name></volume>", "n"));

    [Fact]
    public void CloneRefusesDoctype() =>
        Assert.Contains("DOCTYPE", Assert.Throws<StorageException>(() =>
            VolumeArgumentsXml.Clone("<!DOCTYPE volume>\n<volume><name>o</name></volume>", "n")).Message);
}
