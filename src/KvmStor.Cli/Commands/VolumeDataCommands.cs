using KvmStor.Cli.Parsing;
using KvmStor.Engine;
using KvmStor.Model;

namespace KvmStor.Cli.Commands;

/// <summary>vol-upload, vol-download, vol-wipe, vol-resize: commands that change or move a volume's data.</summary>
public static class VolumeDataCommands
{
    /// <summary>The payload of one virsh stream message (decides which line an upload failure gets).</summary>
    private const long VirshStreamMessage = 256 << 10;

    public static CommandDefinition Upload => new("vol-upload", "write a local file into a volume",
        "Copies a file's bytes into the volume, at --offset and for at most --length bytes; --sparse keeps the file's holes as holes. "
        + "Data that does not fit in a raw volume's capacity is refused unless --allow-grow lets the volume grow (libvirt always grows it).",
        [VolumeOptions.Vol, OptionDefinition.Data("file", "file to read").Taking(OptionValues.Files), VolumeOptions.Pool,
            VolumeOptions.Offset, VolumeOptions.Length, VolumeOptions.Sparse,
            OptionDefinition.Flag("allow-grow", "let the volume grow past its capacity (kvmstor only)"), VolumeOptions.Force],
        RunUpload);

    public static CommandDefinition Download => new("vol-download", "copy a volume's content into a local file",
        "Writes the volume's bytes (from --offset, at most --length) into a file, which is created or truncated; "
        + "holes stay holes. A file the command created is removed again if the copy fails.",
        [VolumeOptions.Vol, OptionDefinition.Data("file", "file to write").Taking(OptionValues.Files), VolumeOptions.Pool,
            VolumeOptions.Offset, VolumeOptions.Length, VolumeOptions.Sparse],
        RunDownload);

    public static CommandDefinition Wipe => new("vol-wipe", "overwrite a volume's data",
        "Overwrites the whole volume: with zeros by default, or with the passes of --algorithm "
        + "(zero, nnsa, dod, bsi, gutmann, schneier, pfitzner7, pfitzner33, random, trim). "
        + "Refused while a defined guest uses the volume, unless --force.",
        [VolumeOptions.Vol, VolumeOptions.Pool, OptionDefinition.Str("algorithm", "wipe algorithm").Taking(new(ValueKind.WipeAlgorithm)), VolumeOptions.Force],
        RunWipe);

    public static CommandDefinition Resize => new("vol-resize", "change a volume's capacity",
        "Sets the capacity, or with --delta changes it by the size given; a size starting with '-' shrinks by it "
        + "(it needs --shrink). --allocate also allocates the new space.",
        [
            VolumeOptions.Vol,
            OptionDefinition.Data("capacity", "new capacity, or the change with --delta, with an optional unit"),
            VolumeOptions.Pool,
            OptionDefinition.Flag("allocate", "allocate the new space"),
            OptionDefinition.Flag("delta", "change the capacity by the size instead of setting it"),
            OptionDefinition.Flag("shrink", "allow the capacity to become smaller"),
            VolumeOptions.Force,
        ],
        RunResize);

    private static bool RunUpload(CommandContext context, ParsedCommand command)
    {
        var range = VolumeOptions.Range(command) with { AllowGrow = command.Flag("allow-grow") };
        string file = command.Required("file");
        var volume = VolumeLookup.Find(context, command);
        string word = command.Required(VolumeLookup.VolOption);
        FileStream source;
        try
        {
            source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandError($"cannot read {file}");
        }
        using (source)
        {
            // A file goes to the engine as it is (it may look for holes in it); a pipe is counted to know how far it got.
            var counted = source.CanSeek ? null : new CountingReadStream(source);
            bool Started() => counted is null ? source.Position > 0 : counted.BytesRead > 0;
            // virsh sends 256 KiB messages: a file that fits in one is all sent before the error comes back.
            bool AllSent() => counted is null ? source.Length <= VirshStreamMessage : counted.ReachedEnd;

            // virsh's line tells where the stream failed: refused before any data ("cannot upload to"), while data
            // was still being sent ("cannot send data to"), or once all of it was sent ("cannot close volume").
            LongOperation.Run(context, "Uploading", $"cannot upload to volume {word}", (progress, cancel) =>
            {
                try
                {
                    context.Host.Volumes.Upload(volume, (Stream?)counted ?? source, range, progress, cancel, command.Flag("force"));
                }
                catch (StorageException e) when (Started())
                {
                    throw new CommandError(AllSent() ? $"cannot close volume {word}" : $"cannot send data to volume {word}", e);
                }
            });
        }
        return true;
    }

    private static bool RunDownload(CommandContext context, ParsedCommand command)
    {
        var range = VolumeOptions.Range(command);
        string file = command.Required("file");
        var volume = VolumeLookup.Find(context, command);
        string word = command.Required(VolumeLookup.VolOption);
        var (destination, created) = OpenDownloadTarget(file);
        bool done = false;
        try
        {
            using (destination)
            {
                // The volume's own file would be emptied by the truncation before a byte is read: ask first.
                EngineCall.Run($"cannot download from volume {word}", () => context.Host.Volumes.CheckDownloadDestination(volume, destination.SafeFileHandle));
                if (!created) TruncateRegularFile(destination, file);
                LongOperation.Run(context, "Downloading", $"cannot download from volume {word}", (progress, cancel) =>
                {
                    try
                    {
                        context.Host.Volumes.Download(volume, destination, range, progress, cancel);
                    }
                    catch (StorageException e) when (destination.Position > 0)
                    {
                        throw new CommandError($"cannot receive data from volume {word}", e);
                    }
                });
            }
            done = true;
        }
        finally
        {
            if (!done && created) TryDelete(file);
        }
        return true;
    }

    /// <summary>
    /// Creates the file (0666 less the umask) or opens the existing one, not yet truncated (it may be the volume
    /// itself); tells which, so a failed download removes only its own file.
    /// </summary>
    private static (FileStream Stream, bool Created) OpenDownloadTarget(string file)
    {
        const UnixFileMode everyone = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
            | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite, BufferSize = 0 };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = everyone;
            return (new FileStream(file, options), true);
        }
        catch (IOException) when (File.Exists(file))
        {
            try
            {
                return (new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0), false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CommandError($"cannot create {file}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandError($"cannot create {file}");
        }
    }

    /// <summary>virsh's O_TRUNC, once the file is known not to be the volume; devices and pipes have nothing to truncate.</summary>
    private static void TruncateRegularFile(FileStream destination, string file)
    {
        try
        {
            DownloadDestination.TruncateIfRegularFile(destination);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandError($"cannot create {file}");
        }
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static bool RunWipe(CommandContext context, ParsedCommand command)
    {
        var volume = VolumeLookup.Find(context, command);
        string word = command.Required(VolumeLookup.VolOption);
        var algorithm = WipeAlgorithm.Zero;
        if (command.String("algorithm") is { } name && !WipeAlgorithmNames.TryParse(name, out algorithm))
            throw new CommandError($"Unsupported algorithm '{name}'");
        LongOperation.Run(context, "Wiping", $"Failed to wipe vol {word}",
            (progress, cancel) => context.Host.Volumes.Wipe(volume, algorithm, progress, cancel, command.Flag("force")));
        context.Output.PrintExtra($"Vol {word} wiped\n");
        return true;
    }

    private static bool RunResize(CommandContext context, ParsedCommand command)
    {
        var flags = VolumeResizeFlags.None;
        bool delta = command.Flag("delta");
        if (command.Flag("allocate")) flags |= VolumeResizeFlags.Allocate;
        if (command.Flag("shrink")) flags |= VolumeResizeFlags.Shrink;
        var volume = VolumeLookup.Find(context, command);

        // The engine takes an unsigned size; "-1M" is accepted for convenience as "shrink by 1M" (only with --shrink).
        // A leading '+' is not "grow by": only --delta makes a size relative.
        string sizeText = command.Required("capacity").TrimStart(' ', '\t', '\n', '\r', '\v', '\f');
        if (sizeText.StartsWith('-'))
        {
            if (!flags.HasFlag(VolumeResizeFlags.Shrink)) throw new CommandError("negative size requires --shrink");
            sizeText = sizeText[1..];
            delta = true;
        }
        ulong size = VolumeOptions.Size(sizeText);
        if (delta) flags |= VolumeResizeFlags.Delta;

        string how = delta ? "by" : "to";
        string failure = $"Failed to change size of volume '{volume.Name}' {how} {sizeText}";
        bool force = command.Flag("force");
        if (flags.HasFlag(VolumeResizeFlags.Allocate))
            LongOperation.Run(context, "Allocating", failure, (progress, cancel) => context.Host.Volumes.Resize(volume, size, flags, force, progress, cancel));
        else
            EngineCall.Run(failure, () => context.Host.Volumes.Resize(volume, size, flags, force));
        context.Output.PrintExtra($"Size of volume '{volume.Name}' successfully changed {how} {sizeText}\n");
        return true;
    }
}
