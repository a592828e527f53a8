using KvmStor.Model;
namespace KvmStor.Xml;
// CONTRACT STUB — replaced by the pool XML implementation on merge.
public static class PoolXml
{
    public static PoolDefinition Parse(string xml) => throw new NotImplementedException();
    public static string Format(PoolDefinition def) => throw new NotImplementedException();
    public static void ValidateForDefine(PoolDefinition def) => throw new NotImplementedException();
}
public static class PoolStateXml
{
    public static string FormatConfig(PoolDefinition def) => throw new NotImplementedException();
    public static PoolDefinition ParseConfig(string text) => throw new NotImplementedException();
    public static string FormatStatus(PoolDefinition def) => throw new NotImplementedException();
    public static PoolDefinition ParseStatus(string text) => throw new NotImplementedException();
}
public static class PoolCapabilitiesXml
{
    public static string Format(Func<PoolType, bool> supported) => throw new NotImplementedException();
}
