using System.Xml.Linq;
using KvmStor.Model;

namespace KvmStor.Conformance;

/// <summary>The per-pool volume format table against libvirt 9.0's pool-capabilities output.</summary>
public class VolumeFormatsCapabilitiesTests
{
    [Fact]
    public void VolOptionsMatchLibvirt90Capabilities()
    {
        var caps = XDocument.Load(Path.Combine(SharedData.Libvirt90Outputs, "pool-capabilities.xml"));
        var pools = caps.Root!.Elements("pool").ToList();
        Assert.Equal(PoolTypeNames.All.Count, pools.Count);
        foreach (var pool in pools)
        {
            Assert.True(PoolTypeNames.TryParse(pool.Attribute("type")!.Value, out var type));
            var rule = VolumeFormats.RuleFor(type);
            var volOptions = pool.Element("volOptions");
            if (!rule.HasFormats)
            {
                Assert.Null(volOptions);
                continue;
            }
            Assert.NotNull(volOptions);
            Assert.Equal(rule.DefaultFormat, volOptions.Element("defaultFormat")!.Attribute("type")!.Value);
            var values = volOptions.Element("enum")!.Elements("value").Select(v => v.Value).ToList();
            Assert.Equal(rule.CapabilityValues, values);
        }
    }
}
