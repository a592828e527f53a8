using KvmStor.State;

namespace KvmStor.Cli.Parsing;

/// <summary>One option before the command, as <c>kvmstor -h</c>, the manual and completion show it.</summary>
/// <param name="Short">The one-letter spelling, if any.</param>
/// <param name="Argument">What the option takes (<c>URI</c>); null for a flag.</param>
public sealed record GlobalOptionInfo(char? Short, string Long, string? Argument, string Help);

/// <summary>The options before the command (virsh's getopt "+c:hqv" part, plus --json).</summary>
public sealed record GlobalOptions
{
    /// <summary>Every global option, in the order <c>-h</c> lists them (<see cref="Parse"/> reads the same ones).</summary>
    public static IReadOnlyList<GlobalOptionInfo> Known { get; } =
    [
        new('c', "connect", "URI", "storage connection (kvmstor:///system or kvmstor:///session)"),
        new('h', "help", null, "show this text"),
        new('q', "quiet", null, "no success messages and no blank line after each command"),
        new('v', "version", null, "print the version"),
        new(null, "json", null, "JSON output (pool-list, pool-info, vol-list, vol-info)"),
    ];

    /// <summary>The connection URIs kvmstor itself names (libvirt's storage:// and qemu:// spellings are accepted too).</summary>
    public static IReadOnlyList<string> Uris { get; } = [StatePaths.SystemUri, StatePaths.SessionUri];

    public string? ConnectUri { get; init; }
    public bool Quiet { get; init; }
    public bool Help { get; init; }
    public bool Version { get; init; }
    public bool Json { get; init; }
    /// <summary>Index of the first word of the command in argv.</summary>
    public int CommandStart { get; init; }

    /// <summary>Parses leading options, stopping at the first word that is not one (as getopt's "+" mode).</summary>
    public static GlobalOptions Parse(IReadOnlyList<string> args)
    {
        var result = new GlobalOptions();
        int i = 0;
        for (; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--") { i++; break; }
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                string name = arg[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                switch (name)
                {
                    case "connect":
                        if (value is null)
                        {
                            if (i + 1 >= args.Count) throw new SyntaxError("option '-c'/'--connect' requires an argument");
                            value = args[++i];
                        }
                        result = result with { ConnectUri = value };
                        break;
                    case "quiet" when value is null: result = result with { Quiet = true }; break;
                    case "help" when value is null: result = result with { Help = true }; break;
                    case "version" when value is null: result = result with { Version = true }; break;
                    case "json" when value is null: result = result with { Json = true }; break;
                    default: throw new SyntaxError($"unsupported option '{arg}'. See --help.");
                }
                continue;
            }
            if (arg.Length < 2 || arg[0] != '-') break;
            // Bundled short options: -qv, -c URI, -cURI.
            for (int k = 1; k < arg.Length; k++)
            {
                char c = arg[k];
                switch (c)
                {
                    case 'q': result = result with { Quiet = true }; break;
                    case 'h': result = result with { Help = true }; break;
                    case 'v': result = result with { Version = true }; break;
                    case 'c':
                        string uri;
                        if (k + 1 < arg.Length) uri = arg[(k + 1)..];
                        else if (i + 1 < args.Count) uri = args[++i];
                        else throw new SyntaxError("option '-c'/'--connect' requires an argument");
                        result = result with { ConnectUri = uri };
                        k = arg.Length;
                        break;
                    default: throw new SyntaxError($"unsupported option '-{c}'. See --help.");
                }
            }
        }
        return result with { CommandStart = i };
    }
}
