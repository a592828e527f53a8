using System.Text.Json.Serialization;

namespace KvmStor.Cli.Output;

/// <summary>Source-generated serialization of every --json document (no reflection: NativeAOT-safe and fast to start).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, NewLine = "\n")]
[JsonSerializable(typeof(PoolJson))]
[JsonSerializable(typeof(PoolJson[]))]
[JsonSerializable(typeof(VolumeJson))]
[JsonSerializable(typeof(VolumeJson[]))]
[JsonSerializable(typeof(VolumeUserJson))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
