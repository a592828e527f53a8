namespace KvmStor.Model;

/// <summary>
/// Volume names. The XML schema's volName is "no '/', and not '.' or '..'"; libvirt's parser itself accepts any
/// non-empty name and the local backends refuse '/' when creating.
/// </summary>
public static class VolumeNameRule
{
    /// <summary>The schema rule (vol-create --validate).</summary>
    public static bool IsValidSchemaName(string name) =>
        name.Length > 0 && !name.Contains('/') && name is not "." and not "..";

    /// <summary>The check file-based backends make before creating: libvirt's exact refusal text.</summary>
    public static void EnsureNoSlash(string name)
    {
        if (name.Contains('/'))
            throw StorageException.Invalid($"volume name '{name}' cannot contain '/'");
    }
}
