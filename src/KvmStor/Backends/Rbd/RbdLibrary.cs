using System.Runtime.InteropServices;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// Loads librados and librbd on first use. A host without them gets one clear error for rbd pools only; every other
/// pool type never touches these libraries.
/// </summary>
internal static class RbdLibrary
{
    private static readonly Lazy<string?> Missing = new(FindMissing);

    public static void Require()
    {
        if (Missing.Value is { } library)
            throw StorageException.NoSupport(
                $"rbd pools need {library}, which is not installed (Debian packages librados2 and librbd1)");
    }

    private static string? FindMissing()
    {
        foreach (var name in new[] { RbdNative.Rados, RbdNative.Rbd })
        {
            // Kept loaded: the generated P/Invoke stubs resolve the same soname afterwards.
            if (!NativeLibrary.TryLoad(name, typeof(RbdLibrary).Assembly, DllImportSearchPath.SafeDirectories, out _))
                return name;
        }
        return null;
    }
}
