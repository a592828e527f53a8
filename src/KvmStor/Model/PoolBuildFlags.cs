namespace KvmStor.Model;

/// <summary>pool-build / pool-start / pool-create options.</summary>
[Flags]
public enum PoolBuildFlags
{
    None = 0,
    /// <summary>pool-start --build / pool-create --build: build before starting.</summary>
    Build = 1,
    Overwrite = 2,
    NoOverwrite = 4,
}
