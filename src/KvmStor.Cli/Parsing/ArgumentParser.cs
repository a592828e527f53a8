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

        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var positional = new Queue<OptionDefinition>();
        foreach (var option in definition.Options)
            if (option.TakesPositional) positional.Enqueue(option);

        bool dataOnly = false;
        for (int i = 1; i < words.Count; i++)
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
                    return HelpFor(definition);
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
                if (value is null)
                    throw new SyntaxError($"expected syntax: --{option.Name} <{(option.Kind == OptionKind.Int ? "number" : "string")}>");
                values[option.Name] = value;
                continue;
            }
            // A positional word fills the next non-flag option not given by name.
            OptionDefinition? target = null;
            while (positional.Count > 0)
            {
                var candidate = positional.Dequeue();
                if (!values.ContainsKey(candidate.Name)) { target = candidate; break; }
            }
            if (target is null) throw new SyntaxError($"unexpected data '{word}'");
            values[target.Name] = word;
        }

        if (globalJson && !values.ContainsKey("json"))
        {
            if (!definition.SupportsJson)
                throw new SyntaxError($"command '{definition.Name}' doesn't support option --json");
            values["json"] = null;
        }

        var missing = new List<string>();
        foreach (var option in definition.Options)
            if (option.Required && !values.ContainsKey(option.Name))
                missing.Add(option.Kind == OptionKind.Data
                    ? $"command '{definition.Name}' requires <{option.Name}> option"
                    : $"command '{definition.Name}' requires --{option.Name} option");
        if (missing.Count > 0) throw new SyntaxError(string.Join("\nerror: ", missing));

        return new ParsedCommand(definition, values);
    }

    /// <summary>virsh treats "--" followed by a letter or digit as an option; "-1M" or "-x" are data.</summary>
    private static bool IsOptionWord(string word) =>
        word.Length > 2 && word[0] == '-' && word[1] == '-' && char.IsAsciiLetterOrDigit(word[2]);

    /// <summary>"CMD --help" is "help CMD".</summary>
    private ParsedCommand HelpFor(CommandDefinition definition)
    {
        var help = table.Find("help") ?? throw new SyntaxError("unknown command: 'help'");
        return new ParsedCommand(help, new Dictionary<string, string?> { ["command"] = definition.Name });
    }
}
