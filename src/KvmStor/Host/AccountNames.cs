using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>User and group names of numeric ids, through the C library (so NSS sources such as LDAP count too).</summary>
public static class AccountNames
{
    public static uint EffectiveUserId => Libc.geteuid();
    public static uint EffectiveGroupId => Libc.getegid();

    /// <summary>The name of user <paramref name="uid"/>; an id without a user record is an error, as in libvirt.</summary>
    public static string User(uint uid) =>
        FirstField(Libc.getpwuid(uid)) ?? throw StorageException.Internal($"Failed to find user record for uid '{uid}'");

    public static string Group(uint gid) =>
        FirstField(Libc.getgrgid(gid)) ?? throw StorageException.Internal($"Failed to find group record for gid '{gid}'");

    /// <summary>"uid 1001 (alice)", or just the number when no user record exists: for messages.</summary>
    public static string Describe(uint uid) => FirstField(Libc.getpwuid(uid)) is { } name ? $"uid {uid} ({name})" : $"uid {uid}";

    // struct passwd and struct group both begin with a char* name.
    private static string? FirstField(nint entry) => entry == 0 ? null : Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(entry));
}
