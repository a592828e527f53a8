using System.Globalization;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>
/// Builds the qemu-img command lines libvirt's storage driver runs to create a non-raw volume, or to copy one
/// volume into another (create / convert, backing file, -o options, LUKS secrets, the two-step
/// create-then-convert used when encryption meets an input volume). Validation errors carry libvirt's texts.
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
        var vol = request.Volume;
        var target = vol.Target;
        var encryption = target.Encryption;

        // Block devices and ISO images are written as raw data.
        string format = target.Format ?? "none";
        if (TypeOf(vol, request.PoolType) == VolumeType.Block || format == "iso") format = "raw";
        bool isQcow2 = format == "qcow2";

        if (request.PreallocateMetadata && !isQcow2)
            throw StorageException.Unsupported("metadata preallocation only available with qcow2");
        if (target.Compat is not null && !isQcow2)
            throw StorageException.Unsupported("compatibility option only available with qcow2");
        if (target.Features is not null && !isQcow2)
            throw StorageException.Unsupported("format features only available with qcow2");

        // An encrypted raw volume is a LUKS container: qemu-img knows it as format "luks".
        string createFormat = format;
        if (format == "raw" && encryption is not null)
        {
            if (encryption.Format != "luks")
                throw StorageException.Unsupported("Only luks encryption is supported for raw files");
            createFormat = "luks";
        }

        QemuImgInput? input = request.InputVolume is { } inputVolume ? QemuImgInput.From(inputVolume, TypeOf(inputVolume, request.InputPoolType)) : null;

        VolumeTarget? backing = vol.BackingStore is { Path: not null } b ? b : null;
        if (backing is not null && step != QemuImgStep.EncryptedConvert)
            CheckBackingStore(request, backing, format, options);

        if (encryption is not null)
            CheckEncryption(format, encryption);

        string secretAlias = SecretAlias(vol.Name);
        if (step == QemuImgStep.EncryptedConvert)
            return BuildConvertStep(request, input!, createFormat, secretAlias, options);

        // A conversion copies data, not the backing chain; the create step of a two-step run makes a plain image.
        bool useBacking = backing is not null && input is null;
        var args = new List<string>();
        if (input is not null && step == QemuImgStep.Single)
            args.AddRange(["convert", "-f", input.Format, "-O", createFormat]);
        else
            args.AddRange(["create", "-f", createFormat]);
        if (useBacking)
            args.AddRange(["-b", backing!.Path!]);
        if (encryption is not null)
            args.AddRange(["--object", SecretObject(secretAlias, Required(request.SecretPath, "SecretPath"))]);

        string? compat = target.Compat ?? (isQcow2 ? options.Qcow2DefaultCompat : null);
        var o = QemuImgCreateOptions.Build(vol, createFormat, isQcow2, useBacking ? backing!.Format ?? "none" : null,
            encryption is null ? null : secretAlias, request.PreallocateMetadata, compat);
        if (o.Length > 0)
            args.AddRange(["-o", o]);

        if (input is not null && step == QemuImgStep.Single)
        {
            args.Add(input.Path);
            args.Add(target.Path ?? "");
        }
        else
        {
            args.Add(target.Path ?? "");
            ulong sizeKiB = vol.Capacity / 1024 + (vol.Capacity % 1024 == 0 ? 0UL : 1UL);
            // An overlay without a size takes its backing file's size.
            if (sizeKiB > 0 || !useBacking)
                args.Add(sizeKiB.ToString(CultureInfo.InvariantCulture) + "K");
        }
        return new CommandLine(options.Program, args);
    }

    /// <summary>qemu-img convert --image-opts -n --target-image-opts: copy into the image the create step made.</summary>
    private static CommandLine BuildConvertStep(QemuImgRequest request, QemuImgInput input, string createFormat,
        string secretAlias, QemuImgOptions options)
    {
        var vol = request.Volume;
        var args = new List<string> { "convert", "--image-opts", "-n", "--target-image-opts" };
        string inputAlias = SecretAlias(input.Name);
        if (vol.Target.Encryption is not null)
            args.AddRange(["--object", SecretObject(secretAlias, Required(request.SecretPath, "SecretPath"))]);
        if (input.Encrypted)
            args.AddRange(["--object", SecretObject(inputAlias, Required(request.InputSecretPath, "InputSecretPath"))]);
        args.Add(ImageOpts(input.Encrypted && input.Format == "raw" ? "luks" : input.Format, input.Path,
            input.Encrypted ? inputAlias : null));
        args.Add(ImageOpts(createFormat, vol.Target.Path ?? "", vol.Target.Encryption is null ? null : secretAlias));
        return new CommandLine(options.Program, args);
    }

    private static string ImageOpts(string driver, string path, string? secretAlias)
    {
        string opts = $"driver={driver},file.filename={EscapeComma(path)}";
        return secretAlias switch
        {
            null => opts,
            _ when driver == "luks" => opts + ",key-secret=" + secretAlias,
            _ => opts + ",encrypt.key-secret=" + secretAlias,
        };
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

    private static void CheckEncryption(string format, VolumeEncryption encryption)
    {
        if (format is not ("raw" or "qcow2"))
            throw StorageException.Unsupported($"volume encryption unsupported with format {format}");
        if (encryption.Format is "default" or "qcow")
            throw StorageException.Unsupported("creation of qcow2 encrypted image is not supported");
        if (encryption.Format != "luks")
            throw StorageException.Unsupported($"unsupported volume encryption format {encryption.Format}");
        if (encryption.Secrets.Count > 1)
            throw StorageException.Xml("too many secrets for luks encryption");
        if (encryption.Secrets.Count == 0)
            throw StorageException.Xml("no secret provided for luks encryption");
    }

    private static VolumeType TypeOf(VolumeDefinition volume, PoolType? pool) =>
        volume.Type ?? (pool is { } p ? VolumeTypeDefaults.For(p) : VolumeType.File);

    internal static string SecretAlias(string volumeName) => volumeName + "_encrypt0";

    private static string SecretObject(string alias, string path) => $"secret,id={alias},file={EscapeComma(path)}";

    /// <summary>qemu's option syntax: a literal comma inside a value is written twice.</summary>
    internal static string EscapeComma(string value) => value.Replace(",", ",,");

    private static string Required(string? value, string name) =>
        value ?? throw new ArgumentException($"{name} is required for an encrypted volume", name);

    /// <summary>The input side of a conversion: block devices and ISO images are read as raw.</summary>
    private sealed record QemuImgInput(string Name, string Path, string Format, bool Encrypted)
    {
        public static QemuImgInput From(VolumeDefinition volume, VolumeType type)
        {
            string path = volume.Target.Path
                ?? throw StorageException.InvalidArg("missing input volume target path");
            string format = volume.Target.Format ?? "none";
            if (type == VolumeType.Block || format == "iso") format = "raw";
            return new QemuImgInput(volume.Name, path, format, volume.Target.Encryption is not null);
        }
    }
}
