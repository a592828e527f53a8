namespace KvmStor.Cli.Parsing;

/// <summary>virsh's option kinds (vshCmdOptType).</summary>
public enum OptionKind
{
    /// <summary>A flag: present or not.</summary>
    Bool,
    /// <summary>A string shown in help as <c>--name &lt;string&gt;</c>.</summary>
    String,
    /// <summary>A string shown in help as <c>[--name] &lt;string&gt;</c>; usually required and given positionally.</summary>
    Data,
    /// <summary>A number, checked when the command reads it.</summary>
    Int,
    /// <summary>Every remaining positional word (virsh's VSH_OT_ARGV), shown as <c>[&lt;name&gt;]...</c>.</summary>
    Argv,
}

/// <summary>One option of a command, in the order virsh declares it (the order decides positional filling).</summary>
/// <param name="NamedOnly">Only accepted as <c>--name value</c>, never positionally (virsh's VSH_OFLAG_REQ_OPT).</param>
/// <param name="EmptyOk">An empty value is allowed (otherwise "Option argument is empty").</param>
public sealed record OptionDefinition(
    string Name,
    OptionKind Kind,
    string Help,
    bool Required = false,
    bool NamedOnly = false,
    bool EmptyOk = false)
{
    /// <summary>Non-flag options take positional words in declaration order, as virsh 9.0 assigns them.</summary>
    public bool TakesPositional => Kind != OptionKind.Bool && !NamedOnly;

    /// <summary>What the value names (a pool, a volume, a file…), for completion; null: free text.</summary>
    public OptionValues? Values { get; init; }

    /// <summary>The same option, completed with <paramref name="values"/>.</summary>
    public OptionDefinition Taking(OptionValues values) => this with { Values = values };

    public static OptionDefinition Flag(string name, string help) => new(name, OptionKind.Bool, help);
    public static OptionDefinition Str(string name, string help, bool namedOnly = false) => new(name, OptionKind.String, help, NamedOnly: namedOnly);
    public static OptionDefinition Data(string name, string help, bool required = true) => new(name, OptionKind.Data, help, Required: required);
    public static OptionDefinition Number(string name, string help) => new(name, OptionKind.Int, help);
    public static OptionDefinition Words(string name, string help) => new(name, OptionKind.Argv, help);
}
