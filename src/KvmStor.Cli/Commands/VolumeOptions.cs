using System.Globalization;
using KvmStor.Cli.Parsing;
using KvmStor.Model;

namespace KvmStor.Cli.Commands;

/// <summary>Options the volume commands share, and virsh's readings of sizes and byte ranges.</summary>
public static class VolumeOptions
{
    public static OptionDefinition Force => OptionDefinition.Flag("force", "go ahead even though a defined guest uses the volume or a running process has it open (kvmstor only)");
    public static OptionDefinition Vol => OptionDefinition.Data(VolumeLookup.VolOption, "name, key or path of the volume")
        .Taking(OptionValues.VolumesIn(VolumeLookup.PoolOption));
    public static OptionDefinition Pool => OptionDefinition.Str(VolumeLookup.PoolOption, "name or UUID of the pool holding the volume")
        .Taking(OptionValues.Pools(PoolStates.Active));
    public static OptionDefinition TargetPool => OptionDefinition.Data(VolumeLookup.PoolOption, "name or UUID of the pool")
        .Taking(OptionValues.Pools(PoolStates.Active));
    public static OptionDefinition PreallocMetadata => OptionDefinition.Flag("prealloc-metadata", "preallocate the metadata of formats that have it (qcow2)");
    public static OptionDefinition Reflink => OptionDefinition.Flag("reflink", "share the source's extents (copy-on-write clone) or fail");
    public static OptionDefinition FullCopy => OptionDefinition.Flag("full-copy", "copy the data even where the pool could clone copy-on-write (rbd; kvmstor only)");
    public static OptionDefinition Validate => OptionDefinition.Flag("validate", "check the document before creating");
    public static OptionDefinition Offset => OptionDefinition.Number("offset", "start this many bytes into the volume");
    public static OptionDefinition Length => OptionDefinition.Number("length", "transfer at most this many bytes (negative: to the end)");
    public static OptionDefinition Sparse => OptionDefinition.Flag("sparse", "keep holes as holes");

    /// <summary>
    /// A size as virshVolSize reads it: digits with an optional unit suffix, no sign. Junk gives
    /// "Malformed size X"; an unknown suffix or an overflowing scale adds the reason on a second line.
    /// </summary>
    public static ulong Size(string text)
    {
        switch (ScaledInteger.TryParse(text, out ulong bytes))
        {
            case SizeError.None:
                return bytes;
            case SizeError.UnknownSuffix:
                throw new CommandError($"Malformed size {text}", StorageException.InvalidArg($"unknown suffix '{Suffix(text)}'"));
            case SizeError.Overflow when HasSuffix(text):
                throw new CommandError($"Malformed size {text}", new StorageException(ErrorCode.None, $"numerical overflow: value too large: {Suffix(text)}"));
            default:
                throw new CommandError($"Malformed size {text}");
        }
    }

    private static string Suffix(string text)
    {
        string s = text.TrimStart();
        if (s.StartsWith('+')) s = s[1..];
        int i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        return s[i..];
    }

    private static bool HasSuffix(string text) => Suffix(text).Length > 0;

    /// <summary>--offset: an unsigned number (virsh's vshCommandOptULongLong).</summary>
    public static ulong OffsetValue(ParsedCommand command)
    {
        string? text = command.String("offset");
        if (text is null) return 0;
        if (!ulong.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out ulong value) || text.StartsWith('-'))
            throw ParsedCommand.Malformed("offset", text);
        return value;
    }

    /// <summary>
    /// --length: virsh reads it with wrap-around, so a negative number is a huge one, i.e. "to the end";
    /// kvmstor passes "to the end" (0) for it.
    /// </summary>
    public static ulong LengthValue(ParsedCommand command)
    {
        string? text = command.String("length");
        if (text is null) return 0;
        if (text.StartsWith('-'))
        {
            if (!ulong.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw ParsedCommand.Malformed("length", text);
            return 0;
        }
        if (!ulong.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out ulong value))
            throw ParsedCommand.Malformed("length", text);
        return value;
    }

    public static TransferRange Range(ParsedCommand command) =>
        new(OffsetValue(command), LengthValue(command), command.Flag("sparse"));

    public static VolumeCreateFlags CreateFlags(ParsedCommand command)
    {
        var flags = VolumeCreateFlags.None;
        if (command.Flag("prealloc-metadata")) flags |= VolumeCreateFlags.PreallocMetadata;
        if (command.Flag("reflink")) flags |= VolumeCreateFlags.Reflink;
        if (command.Flag("full-copy")) flags |= VolumeCreateFlags.FullCopy;
        return flags;
    }
}
