using System.Runtime.InteropServices;

namespace KvmStor.Server.Transport;

/// <summary>Group names to ids through the C library (NSS sources count too).</summary>
public static partial class GroupIds
{
    /// <summary>The gid of <paramref name="name"/> (a number is taken as it is), or null when no such group exists.</summary>
    public static uint? Find(string name)
    {
        if (uint.TryParse(name, out uint number)) return number;
        nint entry = GetGroupByName(name);
        // struct group: char *gr_name; char *gr_passwd; gid_t gr_gid; …
        return entry == 0 ? null : (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetGroupByName(string name);
}
