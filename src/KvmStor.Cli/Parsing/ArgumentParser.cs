namespace KvmStor.Cli.Parsing;

/// <summary>
/// virsh's command grammar: options by name (<c>--opt value</c>, <c>--opt=value</c>), flags, positional words
/// filling the non-flag options in declaration order, <c>--</c> ending options, and virsh's error texts.
/// </summary>
public sealed class ArgumentParser(CommandTable table)
{
    /// <summary>Parses one command's words (the command name first).</summary>
    public ParsedCommand Parse(IReadOnlyList<string> words, bool globalJson = false)
    {
        string name = words[0];
        var definition = table.Find(name) ?? throw new SyntaxError($"unknown command: '{name}'");
        var scan = Scan(definition, words.Skip(1).ToList());
        if (scan.HelpAsked) return HelpFor(definition);
        if (scan.AwaitingValue is { } option)
            throw new SyntaxError($"expected syntax: --{option.Name} <{(option.Kind == OptionKind.Int ? "number" : "string")}>");
        var values = scan.Values;

        if (globalJson && !values.ContainsKey("json"))
        {
            if (!definition.SupportsJson)
                throw new SyntaxError($"command '{definition.Name}' doesn't support option --json");
            values["json"] = null;
        }

        var missing = new List<string>();
        foreach (var o in definition.Options)
            if (o.Required && !values.ContainsKey(o.Name))
                missing.Add(o.Kind == OptionKind.Data
                    ? $"command '{definition.Name}' requires <{o.Name}> option"
                    : $"command '{definition.Name}' requires --{o.Name} option");
        if (missing.Count > 0) throw new SyntaxError(string.Join("\nerror: ", missing));

        return new ParsedCommand(definition, values, scan.Lists);
    }

    /// <summary>What the words of a command (after its name) give each option, as far as they go.</summary>
    /// <param name="AwaitingValue">The option whose value did not follow (the words ended after <c>--opt</c>).</param>
    /// <param name="DataOnly">A <c>--</c> was seen: what follows is data, never an option.</param>
    /// <param name="HelpAsked"><c>--help</c> came before anything went wrong.</param>
    internal sealed record ScanResult(
        Dictionary<string, string?> Values,
        Dictionary<string, List<string>> Lists,
        OptionDefinition? AwaitingValue,
        bool DataOnly,
        bool HelpAsked);

    /// <summary>
    /// Assigns words to options with virsh's rules, throwing virsh's error for a word that fits nowhere. The parser
    /// and the completer (which scans every word before the one being typed) share it, so they read a line alike.
    /// </summary>
    internal static ScanResult Scan(CommandDefinition definition, IReadOnlyList<string> words)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var lists = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var positional = new Queue<OptionDefinition>();
        foreach (var option in definition.Options)
            if (option.TakesPositional) positional.Enqueue(option);

        bool dataOnly = false;
        for (int i = 0; i < words.Count; i++)
        {
            string word = words[i];
            if (!dataOnly && word == "--")
            {
                dataOnly = true;
                continue;
            }
            if (!dataOnly && IsOptionWord(word))
            {
                string optionName = word[2..];
                string? inlineValue = null;
                int eq = optionName.IndexOf('=');
                if (eq >= 0)
                {
                    inlineValue = optionName[(eq + 1)..];
                    optionName = optionName[..eq];
                }
                if (optionName == "help")
                    return new ScanResult(values, lists, null, dataOnly, HelpAsked: true);
                var option = definition.FindOption(optionName)
                    ?? throw new SyntaxError($"command '{definition.Name}' doesn't support option --{optionName}");
                if (values.ContainsKey(option.Name))
                    throw new SyntaxError($"option --{option.Name} already seen");
                if (option.Kind == OptionKind.Bool)
                {
                    if (inlineValue is not null) throw new SyntaxError($"invalid '=' after option --{option.Name}");
                    values[option.Name] = null;
                    continue;
                }
                string? value = inlineValue;
                if (value is null && i + 1 < words.Count) value = words[++i];
                if (value is null) return new ScanResult(values, lists, option, dataOnly, HelpAsked: false);
                values[option.Name] = value;
                continue;
            }
            // A positional word fills the next non-flag option not given by name; a word list takes all that follow.
            OptionDefinition? target = null;
            while (positional.Count > 0)
            {
                var candidate = positional.Peek();
                if (candidate.Kind == OptionKind.Argv) { target = candidate; break; }
                positional.Dequeue();
                if (!values.ContainsKey(candidate.Name)) { target = candidate; break; }
            }
            if (target is null) throw new SyntaxError($"unexpected data '{word}'");
            if (target.Kind == OptionKind.Argv)
            {
                if (!lists.TryGetValue(target.Name, out var list)) lists[target.Name] = list = [];
                list.Add(word);
                values.TryAdd(target.Name, null);
            }
            else
            {
                values[target.Name] = word;
            }
        }
        return new ScanResult(values, lists, null, dataOnly, HelpAsked: false);
    }

    /// <summary>The option that the next positional word would fill, after <paramref name="scan"/>; null when none is left.</summary>
    internal static OptionDefinition? NextPositional(CommandDefinition definition, ScanResult scan)
    {
        foreach (var option in definition.Options)
            if (option.TakesPositional && (option.Kind == OptionKind.Argv || !scan.Values.ContainsKey(option.Name)))
                return option;
        return null;
    }

    /// <summary>virsh treats "--" followed by a letter or digit as an option; "-1M" or "-x" are data.</summary>
    internal static bool IsOptionWord(string word) =>
        word.Length > 2 && word[0] == '-' && word[1] == '-' && char.IsAsciiLetterOrDigit(word[2]);

    /// <summary>"CMD --help" is "help CMD".</summary>
    private ParsedCommand HelpFor(CommandDefinition definition)
    {
        var help = table.Find("help") ?? throw new SyntaxError("unknown command: 'help'");
        return new ParsedCommand(help, new Dictionary<string, string?> { ["command"] = definition.Name });
    }
}
