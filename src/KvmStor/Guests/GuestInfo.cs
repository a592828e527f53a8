namespace KvmStor.Guests;

/// <summary>A defined guest as list and lookups report it. kvmstor never runs guests, so every guest is shut off.</summary>
public sealed record GuestInfo(string Name, Guid Uuid);

/// <summary>What libvirt's domain info and OS-type calls report of a defined guest (sizes in KiB).</summary>
public sealed record GuestSummary(string Name, Guid Uuid, string OsType, string? Arch, string? Machine,
    ulong MemoryKiB, ulong CurrentMemoryKiB, int Vcpus);

/// <summary>One disk of one guest that uses a pool's volume.</summary>
public sealed record GuestDiskUse(string Guest, string Target, string Pool, string Volume);
