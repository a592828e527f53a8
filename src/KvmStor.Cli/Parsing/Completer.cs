namespace KvmStor.Cli.Parsing;

/// <summary>The values an option takes on one connection: pool names, volumes, files… (see <see cref="ValueKind"/>).</summary>
public interface IOptionValueSource
{
    /// <param name="values">What the option's value names.</param>
    /// <param name="current">The word typed so far (only a hint: the caller keeps the words that start with it).</param>
    /// <param name="scope">The values other options have on the line (the pool of a volume, the guest of a disk).</param>
    IEnumerable<string> ValuesOf(OptionValues values, string current, Func<string, string?> scope);
}

/// <summary>
/// virsh's <c>complete</c>: the words that may stand where the last word of a command line is being typed. The words
/// are the line after the program name, global options first if any (virsh's script passes them before
/// <c>complete</c>, kvmstor reads them in either place); the last word is the one being typed, possibly empty. The
/// line is read with the parser's own rules and every option's values come from the command table, as help's do.
/// </summary>
public sealed class Completer(CommandTable table, Func<string?, IOptionValueSource> connect)
{
    /// <summary>The candidates, each a whole word starting with the last of <paramref name="words"/>, without repeats.</summary>
    public IReadOnlyList<string> Complete(IReadOnlyList<string> words)
    {
        string current = words.Count > 0 ? words[^1] : "";
        var before = words.Take(Math.Max(words.Count - 1, 0)).ToList();
        return Candidates(before, current)
            .Where(c => c.StartsWith(current, StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    private IEnumerable<string> Candidates(List<string> before, string current)
    {
        GlobalOptions globals;
        try
        {
            globals = GlobalOptions.Parse(before);
        }
        catch (SyntaxError)
        {
            // "-c" (or "--connect", "-qc") without its value yet: the word being typed is the URI.
            return before.Count > 0 && IsConnectOption(before[^1]) ? GlobalOptions.Uris : [];
        }
        if (globals.CommandStart >= before.Count)
        {
            const string connectEquals = "--connect=";
            if (current.StartsWith(connectEquals, StringComparison.Ordinal))
                return GlobalOptions.Uris.Select(uri => connectEquals + uri);
            return current.StartsWith('-') ? GlobalOptionWords() : CommandNames();
        }

        var definition = table.Find(before[globals.CommandStart]);
        if (definition is null || definition.Internal) return [];
        ArgumentParser.ScanResult scan;
        try
        {
            scan = ArgumentParser.Scan(definition, before.Skip(globals.CommandStart + 1).ToList());
        }
        catch (SyntaxError)
        {
            return []; // an unknown option or a word with no place: nothing fits after it either
        }
        if (scan.HelpAsked) return [];

        IOptionValueSource? source = null;
        IEnumerable<string> ValuesOf(OptionDefinition option, string typed)
        {
            if (option.Values is not { Kind: not ValueKind.None } values) return [];
            source ??= connect(globals.ConnectUri);
            return source.ValuesOf(values, typed, name => scan.Values.GetValueOrDefault(name));
        }

        if (scan.AwaitingValue is { } awaiting) return ValuesOf(awaiting, current);

        // --opt=partial: the option's values, written the same way.
        int eq = current.IndexOf('=');
        if (!scan.DataOnly && ArgumentParser.IsOptionWord(current) && eq > 0)
        {
            var option = definition.FindOption(current[2..eq]);
            if (option is null || option.Kind == OptionKind.Bool) return [];
            string head = current[..(eq + 1)];
            return ValuesOf(option, current[(eq + 1)..]).Select(v => head + v);
        }

        var candidates = new List<string>();
        if (!scan.DataOnly && (current.Length == 0 || current.StartsWith('-')))
            foreach (var option in definition.Options)
                if (!scan.Values.ContainsKey(option.Name))
                    candidates.Add("--" + option.Name);
        if ((scan.DataOnly || !current.StartsWith("--", StringComparison.Ordinal))
            && ArgumentParser.NextPositional(definition, scan) is { } next)
            candidates.AddRange(ValuesOf(next, current));
        return candidates;
    }

    /// <summary>-c, --connect, or a bundle of short options ending in c ("-qc").</summary>
    private static bool IsConnectOption(string word) =>
        word == "--connect" || (word.Length >= 2 && word[0] == '-' && word[1] != '-' && word[^1] == 'c');

    private static IEnumerable<string> GlobalOptionWords()
    {
        foreach (var option in GlobalOptions.Known)
        {
            if (option.Short is { } letter) yield return "-" + letter;
            yield return "--" + option.Long;
        }
    }

    private IEnumerable<string> CommandNames() =>
        table.Groups.SelectMany(g => g.Commands).Where(c => !c.Internal).Select(c => c.Name);
}
