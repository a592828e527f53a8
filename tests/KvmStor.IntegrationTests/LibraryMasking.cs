namespace KvmStor.IntegrationTests;

/// <summary>
/// Runs kvmstor as on a host without one shared library: in a private mount namespace where the library is /dev/null.
/// After the caller's commands, a dir pool is made and used in the same namespace, to show the other pool types still
/// work; the library outside the namespace is checked untouched.
/// </summary>
internal static class LibraryMasking
{
    /// <param name="commands">shell lines run inside the namespace ("$KVMSTOR" is the binary); their output is returned</param>
    public static string RunWithout(KvmstorProcess k, string library, string commands)
    {
        Assert.True(File.Exists(library), $"{library} is part of the test set-up");
        string dir = Path.Combine(k.Root, "dirpool");
        string script = $"""
            unshare -m bash -c '
              {ForeignMounts.DropCommand(k.Root)}
              mount --bind /dev/null {library} || exit 99
            {commands}
              "$KVMSTOR" pool-define-as d1 dir --target {dir} >/dev/null && "$KVMSTOR" pool-build d1 >/dev/null && "$KVMSTOR" pool-start d1 >/dev/null \
                && "$KVMSTOR" vol-create-as d1 v1 1M >/dev/null && "$KVMSTOR" vol-list d1; echo "dir=$?"'
            """;
        using var p = k.StartScript(script);
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, output);
        Assert.Contains(" v1 ", output);
        Assert.Contains("dir=0", output);
        Assert.True(new FileInfo(library).Length > 0, "the library outside the namespace is untouched");
        return output;
    }
}
