using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>What a qemu-img command is built from: the new volume, its pool, an optional input volume.</summary>
public sealed record QemuImgRequest
{
    public required VolumeDefinition Volume { get; init; }
    /// <summary>The pool the volume is created in; gives the volume its type when the definition has none.</summary>
    public PoolType? PoolType { get; init; }
    /// <summary>The pool's target path, used to resolve a relative backing-store path for the access check.</summary>
    public string? PoolTargetPath { get; init; }
    /// <summary>The volume to copy from (vol-create-from, vol-clone); null for a plain create.</summary>
    public VolumeDefinition? InputVolume { get; init; }
    /// <summary>The input volume's pool, for its type in the same way.</summary>
    public PoolType? InputPoolType { get; init; }
    /// <summary>vol-create --prealloc-metadata (VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA).</summary>
    public bool PreallocateMetadata { get; init; }
    /// <summary>File holding the new volume's LUKS passphrase (needed when it is encrypted).</summary>
    public string? SecretPath { get; init; }
    /// <summary>File holding the input volume's passphrase (needed when the input is encrypted).</summary>
    public string? InputSecretPath { get; init; }
}

/// <summary>The steps of a volume creation: one command, or create-then-convert when encryption meets an input.</summary>
public enum QemuImgStep { Single, EncryptedCreate, EncryptedConvert }

/// <summary>Choices that are policy rather than input.</summary>
public sealed record QemuImgOptions
{
    /// <summary>libvirt asks qemu-img for qcow2 v2 ("0.10") when the XML gives no &lt;compat&gt;.</summary>
    public const string LibvirtQcow2Compat = "0.10";

    public static QemuImgOptions LibvirtCompatible { get; } = new();

    public string Program { get; init; } = "qemu-img";
    /// <summary>compat= for qcow2 volumes without &lt;compat&gt;; null leaves it to qemu-img (1.1 today).</summary>
    public string? Qcow2DefaultCompat { get; init; } = LibvirtQcow2Compat;
    /// <summary>Checks that the backing store is readable: returns 0, or the errno explaining why not.</summary>
    public Func<string, int> BackingStoreAccess { get; init; } = QemuImgBackingCheck.Readable;
}
