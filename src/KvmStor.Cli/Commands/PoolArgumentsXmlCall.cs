namespace KvmStor.Cli.Commands;

/// <summary>
/// The one place the CLI turns pool-X-as options into pool XML. At integration this forwards to
/// KvmStor.Xml.PoolArgumentsXml.Build; until then it uses <see cref="InterimPoolArgumentsXml"/>.
/// </summary>
public static class PoolArgumentsXmlCall
{
    public static string Build(PoolArguments arguments) => InterimPoolArgumentsXml.Build(arguments);
}
