namespace KvmStor.IntegrationTests;

/// <summary>
/// A mount namespace a test makes starts with a copy of every mount there is, other tests' loop-device and FUSE mounts
/// included. With this machine's private propagation such a copy keeps the filesystem alive after its own test
/// unmounts it, and mkfs then finds the device busy (seen on a busy-host run: FsPoolLifecycleTests' xfs overwrite,
/// "cannot open /dev/loop2: Device or resource busy"). What a test runs first in a namespace of its own.
/// </summary>
internal static class ForeignMounts
{
    /// <summary>
    /// A shell command that detaches, in the calling namespace only, the copies of loop-device mounts and of mounts under
    /// the temporary directory (where tests mount), but for <paramref name="keep"/>; it writes its script into
    /// <paramref name="directory"/>.
    /// </summary>
    public static string DropCommand(string directory, string keep = "")
    {
        string script = Path.Combine(directory, "drop-foreign-mounts.sh");
        File.WriteAllText(script, $$"""
            findmnt -rn -o TARGET,SOURCE |
              awk -v tmp='{{Path.GetTempPath()}}' -v keep='{{keep}}' '($2 ~ /^\/dev\/loop/ || index($1, tmp) == 1) && $1 != keep { print $1 }' |
              sort -r | xargs -r umount -l 2>/dev/null
            exit 0

            """);
        return "sh " + script;
    }
}
