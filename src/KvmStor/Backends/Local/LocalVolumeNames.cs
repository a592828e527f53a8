using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>Which names may become files of a pool directory, and the path a volume name maps to.</summary>
public static class LocalVolumeNames
{
    /// <summary>Refuses names that would escape the directory or name something other than a new entry in it.</summary>
    public static void EnsureCreatable(string name)
    {
        VolumeNameRule.EnsureNoSlash(name);
        if (name is "" or "." or "..")
            throw StorageException.Invalid($"volume name '{name}' is not allowed");
        if (name.Any(char.IsControl))
            throw StorageException.Invalid($"volume name '{new string(name.Select(c => char.IsControl(c) ? '?' : c).ToArray())}' cannot contain control characters");
        if (VolumeBuildArea.IsPartialName(name))
            throw StorageException.Invalid($"volume name '{name}' is reserved for volumes being built");
    }

    /// <summary>Whether a name can denote a listed volume (anything a listing would not skip).</summary>
    public static bool IsListable(string name) =>
        name is not ("" or "." or "..") && !name.Contains('/') && !name.Any(char.IsControl) && !VolumeBuildArea.IsPartialName(name);

    public static string PathOf(PoolDefinition pool, string name) => Path.Combine(LocalTargetDirectory.RequirePath(pool), name);
}
