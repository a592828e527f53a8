using System.Globalization;

namespace KvmStor.Cli.Parsing;

/// <summary>A command with the option values the parser found; the accessors apply virsh's value checks.</summary>
public sealed class ParsedCommand
{
    private readonly Dictionary<string, string?> _values;
    private readonly Dictionary<string, List<string>> _lists;

    public CommandDefinition Definition { get; }

    public ParsedCommand(CommandDefinition definition, Dictionary<string, string?> values, Dictionary<string, List<string>>? lists = null)
    {
        Definition = definition;
        _values = values;
        _lists = lists ?? [];
    }

    public string Name => Definition.Name;

    /// <summary>Whether the option was given at all (flag or value).</summary>
    public bool Has(string option) => _values.ContainsKey(option);

    /// <summary>A flag's presence.</summary>
    public bool Flag(string option) => _values.ContainsKey(option);

    /// <summary>The words of a word-list option (<see cref="OptionKind.Argv"/>), in order; empty when none was given.</summary>
    public IReadOnlyList<string> Words(string option) => _lists.TryGetValue(option, out var words) ? words : [];

    /// <summary>The raw value, unchecked (null when absent).</summary>
    public string? Raw(string option) => _values.GetValueOrDefault(option);

    /// <summary>An optional string; an empty value is refused as virsh refuses it.</summary>
    public string? String(string option)
    {
        if (!_values.TryGetValue(option, out var value) || value is null) return null;
        if (value.Length == 0 && Definition.FindOption(option) is { EmptyOk: false })
            throw new CommandError($"Failed to get option '{option}': Option argument is empty");
        return value;
    }

    /// <summary>A required string (the parser has already ensured its presence).</summary>
    public string Required(string option) =>
        String(option) ?? throw new CommandError($"Failed to get option '{option}': Mandatory option not present");

    /// <summary>An optional unsigned number; junk or overflow gives virsh's "Numeric value … malformed" error.</summary>
    public uint? UInt(string option)
    {
        var text = String(option);
        if (text is null) return null;
        if (!uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out uint value))
            throw Malformed(option, text);
        return value;
    }

    public static CommandError Malformed(string option, string text) =>
        new($"Numeric value '{text}' for <{option}> option is malformed or out of range");

    /// <summary>virsh's VSH_EXCLUSIVE_OPTIONS check.</summary>
    public void Exclusive(string first, string second)
    {
        if (Has(first) && Has(second))
            throw new CommandError($"Options --{first} and --{second} are mutually exclusive");
    }
}
