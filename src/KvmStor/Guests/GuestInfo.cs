namespace KvmStor.Guests;

/// <summary>A defined guest as list and lookups report it. kvmstor never runs guests, so every guest is shut off.</summary>
public sealed record GuestInfo(string Name, Guid Uuid);

/// <summary>One disk of one guest that uses a pool's volume.</summary>
public sealed record GuestDiskUse(string Guest, string Target, string Pool, string Volume);
