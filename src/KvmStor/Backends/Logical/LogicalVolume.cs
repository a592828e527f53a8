using KvmStor.Model;

namespace KvmStor.Backends.Logical;

/// <summary>An LV listed as a volume, with what the backend needs beyond the XML: how lvm made it.</summary>
public sealed record LogicalVolume(VolumeDefinition Definition, bool IsSnapshot, bool IsThin, string? ThinPool);
