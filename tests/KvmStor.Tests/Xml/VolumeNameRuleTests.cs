using KvmStor.Model;

namespace KvmStor.Tests.Xml;

public class VolumeNameRuleTests
{
    [Theory]
    [InlineData("disk.img", true)]
    [InlineData(".hidden", true)]
    [InlineData("a/b", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("", false)]
    public void SchemaRule(string name, bool valid) => Assert.Equal(valid, VolumeNameRule.IsValidSchemaName(name));

    [Fact]
    public void SlashIsRefusedWithLibvirtsText()
    {
        var e = Assert.Throws<StorageException>(() => VolumeNameRule.EnsureNoSlash("../escape.img"));
        Assert.Equal("Requested operation is not valid: volume name '../escape.img' cannot contain '/'", e.Display);
        VolumeNameRule.EnsureNoSlash("fine.img");
    }
}
