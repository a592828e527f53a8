using KvmStor.Model;
namespace KvmStor.Xml;
// CONTRACT STUB — replaced by the volume XML implementation on merge.
public sealed record VolumeParseOptions
{
    public bool NoCapacity { get; init; }
    public bool OptionalCapacityWithBacking { get; init; }
}
public static class VolumeXml
{
    public static VolumeDefinition Parse(string xml, PoolType poolType, VolumeParseOptions options) => throw new NotImplementedException();
    public static string Format(VolumeDefinition volume, PoolType? poolType) => throw new NotImplementedException();
}
