using System.Globalization;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>
/// Builds the qemu-img command lines libvirt's storage driver runs to create a non-raw volume, or to copy one
/// volume into another (create / convert, backing file, -o options, LUKS secrets, the two-step
/// create-then-convert used when encryption meets an input volume). Validation errors carry libvirt's texts,
/// in libvirt's order of checking.
/// </summary>
public static class QemuImgCommand
{
    /// <summary>True when libvirt creates the volume first and converts into it afterwards.</summary>
    public static bool NeedsTwoSteps(QemuImgRequest request) =>
        request.InputVolume is not null
        && (request.Volume.Target.Encryption is not null || request.InputVolume.Target.Encryption is not null);

    /// <summary>Every command the creation runs, in order (one, or two for encrypted conversions).</summary>
    public static IReadOnlyList<CommandLine> BuildAll(QemuImgRequest request, QemuImgOptions? options = null) =>
        NeedsTwoSteps(request)
            ? [Build(request, QemuImgStep.EncryptedCreate, options), Build(request, QemuImgStep.EncryptedConvert, options)]
            : [Build(request, QemuImgStep.Single, options)];

    public static CommandLine Build(QemuImgRequest request, QemuImgStep step = QemuImgStep.Single, QemuImgOptions? options = null)
    {
        options ??= QemuImgOptions.LibvirtCompatible;
        if (step != QemuImgStep.Single && request.InputVolume is null)
            throw new ArgumentException("the two-step encrypted conversion needs an input volume", nameof(step));
        var vol = request.Volume;
        var target = vol.Target;
        var encryption = target.Encryption;
        var inputVolume = request.InputVolume;
        string declaredFormat = target.Format ?? "none";

        if (encryption is { Format: "qcow" or "default" } && declaredFormat is "qcow" or "qcow2")
            throw StorageException.Unsupported("creation of qcow2 encrypted image is not supported");
        if (inputVolume?.Target.Encryption is { } inputEncryption && inputEncryption.Format != "luks")
            throw StorageException.Unsupported("encryption format of inputvol must be LUKS");

        // Block devices and ISO images are written as raw data.
        string format = declaredFormat;
        if (TypeOf(vol, request.PoolType) == VolumeType.Block || format == "iso") format = "raw";
        bool isQcow2 = format == "qcow2";

        if (request.PreallocateMetadata && !isQcow2)
            throw StorageException.Unsupported("metadata preallocation only available with qcow2");
        if (target.Compat is not null && !isQcow2)
            throw StorageException.Unsupported("compatibility option only available with qcow2");
        if (target.Features is not null && !isQcow2)
            throw StorageException.Unsupported("format features only available with qcow2");

        // An encrypted raw volume is a LUKS container: qemu-img knows it as format "luks".
        string type = format;
        if (format == "raw" && encryption is not null)
            type = encryption.Format == "luks" ? "luks"
                : throw StorageException.Internal("Only luks encryption is supported for raw files");

        var input = inputVolume is null ? null
            : QemuImgInput.From(inputVolume, TypeOf(inputVolume, request.InputPoolType), needPath: step != QemuImgStep.EncryptedCreate);

        VolumeTarget? backing = vol.BackingStore is { Path: not null } b ? b : null;
        if (backing is not null)
            CheckBackingStore(request, backing, format, options);

        if (encryption is not null)
            CheckEncryption(format, type, encryption);

        string? secretAlias = encryption is null ? null : SecretAlias(vol.Name);
        var args = new List<string>();
        bool converting = input?.Path is not null;
        if (converting && step == QemuImgStep.Single)
            args.AddRange(["convert", "-f", input!.Format, "-O", type]);
        else if (converting && step == QemuImgStep.EncryptedConvert)
            args.AddRange(["convert", "--image-opts", "-n", "--target-image-opts"]);
        else
            args.AddRange(["create", "-f", type]);

        // A conversion copies data, not the backing chain; the create step of a two-step run makes a plain image.
        bool useBacking = backing is not null && !converting && step != QemuImgStep.EncryptedCreate;
        if (useBacking)
            args.AddRange(["-b", backing!.Path!]);

        if (secretAlias is not null)
        {
            string path = request.SecretPath ?? throw StorageException.Internal("path to secret data file is required");
            args.AddRange(["--object", SecretObject(secretAlias, path)]);
        }
        string? inputAlias = null;
        if (input is { Encrypted: true } && step == QemuImgStep.EncryptedConvert)
        {
            string path = request.InputSecretPath
                ?? throw StorageException.Internal("path to inputvol secret data file is required");
            inputAlias = SecretAlias(input.Name);
            args.AddRange(["--object", SecretObject(inputAlias, path)]);
        }

        if (step == QemuImgStep.EncryptedConvert)
        {
            args.Add(ImageOpts(input!.DriverName, input.Path!, input.Encrypted ? inputAlias : null, input.DeclaredFormat == "qcow2"));
            args.Add(ImageOpts(type, target.Path ?? "", secretAlias, declaredFormat == "qcow2"));
            return new CommandLine(options.Program, args);
        }

        ulong sizeKiB = DivideUp(vol.Capacity, 1024);
        string? compat = target.Compat ?? (isQcow2 ? options.Qcow2DefaultCompat : null);
        string o = QemuImgCreateOptions.Build(target, format, useBacking ? backing!.Format ?? "none" : null, secretAlias,
            request.PreallocateMetadata, sizeKiB > DivideUp(vol.Allocation, 1024), compat);
        if (o.Length > 0)
            args.AddRange(["-o", o]);
        if (converting)
            args.Add(input!.Path!);
        args.Add(target.Path ?? "");
        // An overlay without a size takes its backing file's size.
        if (!converting && (sizeKiB > 0 || !useBacking))
            args.Add(sizeKiB.ToString(CultureInfo.InvariantCulture) + "K");
        return new CommandLine(options.Program, args);
    }

    /// <summary>--image-opts / --target-image-opts value of the convert step (paths are not escaped here).</summary>
    private static string ImageOpts(string driver, string path, string? secretAlias, bool qcow2)
    {
        string opts = $"driver={driver},file.filename={path}";
        return secretAlias is null ? opts : opts + (qcow2 ? ",encrypt.key-secret=" : ",key-secret=") + secretAlias;
    }

    private static void CheckBackingStore(QemuImgRequest request, VolumeTarget backing, string format, QemuImgOptions options)
    {
        if (format == "raw")
            throw StorageException.Unsupported("cannot set backing store for raw volume");
        if (request.PreallocateMetadata)
            throw StorageException.Unsupported("metadata preallocation conflicts with backing store");
        if (request.InputVolume?.BackingStore is { Path: not null } inputBacking && inputBacking.Path != backing.Path)
            throw StorageException.Internal("a different backing store cannot be specified.");
        string path = backing.Path!;
        string checkedPath = path.StartsWith('/') ? path : $"{request.PoolTargetPath}/{path}";
        int errno = options.BackingStoreAccess(checkedPath);
        if (errno != 0)
            throw StorageException.System($"inaccessible backing store volume {path}", errno);
    }

    /// <param name="format">the image format after block/iso mapping</param>
    /// <param name="type">the qemu-img format name ("luks" for encrypted raw)</param>
    private static void CheckEncryption(string format, string type, VolumeEncryption encryption)
    {
        if (format is not ("raw" or "qcow2"))
            throw StorageException.Unsupported($"volume encryption unsupported with format {type}");
        if (encryption.Format != "luks")
        {
            // libvirt prints the encryption format's enum number here.
            int number = Math.Max(0, VolumeFormats.IndexOf(VolumeFormats.EncryptionFormats, encryption.Format));
            throw StorageException.Unsupported($"unsupported volume encryption format {number}");
        }
        if (encryption.Secrets.Count > 1)
            throw StorageException.Xml("too many secrets for luks encryption");
        if (encryption.Secrets.Count == 0)
            throw StorageException.Xml("no secret provided for luks encryption");
    }

    private static VolumeType TypeOf(VolumeDefinition volume, PoolType? pool) =>
        volume.Type ?? (pool is { } p ? PoolTypeInfo.For(p).NewVolumeType : VolumeType.File);

    private static ulong DivideUp(ulong value, ulong unit) => value / unit + (value % unit == 0 ? 0UL : 1UL);

    internal static string SecretAlias(string volumeName) => volumeName + "_encrypt0";

    private static string SecretObject(string alias, string path) => $"secret,id={alias},file={EscapeComma(path)}";

    /// <summary>qemu's option syntax: a literal comma inside a value is written twice.</summary>
    internal static string EscapeComma(string value) => value.Replace(",", ",,");

    /// <summary>
    /// The input side of a conversion. <see cref="Format"/> is what "-f" gets (block devices and ISO images are
    /// read as raw); <see cref="DriverName"/> is the declared format the convert step names (luks for encrypted raw).
    /// </summary>
    private sealed record QemuImgInput(string Name, string? Path, string Format, string DeclaredFormat, string DriverName, bool Encrypted)
    {
        public static QemuImgInput From(VolumeDefinition volume, VolumeType type, bool needPath)
        {
            string? path = volume.Target.Path;
            if (needPath && path is null)
                throw StorageException.InvalidArg("missing input volume target path");
            string declared = volume.Target.Format ?? "none";
            var encryption = volume.Target.Encryption;
            string driver = declared;
            if (declared == "raw" && encryption is not null)
                driver = encryption.Format == "luks" ? "luks"
                    : throw StorageException.Internal("Only luks encryption is supported for raw files");
            string format = type == VolumeType.Block || declared == "iso" ? "raw" : declared;
            return new QemuImgInput(volume.Name, needPath ? path : null, format, declared, driver, encryption is not null);
        }
    }
}
