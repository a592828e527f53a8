using System.Text;
using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;
using KvmStor.Model;

namespace KvmStor.Cli.Commands;

/// <summary>secret-define, -undefine, -list, -dumpxml, -set-value, -get-value: virsh's secret commands.</summary>
public static class SecretCommands
{
    private const string SecretOption = "secret";

    private static OptionDefinition Secret => OptionDefinition.Data(SecretOption, "secret UUID (or, in kvmstor, its usage ID)").Taking(new(ValueKind.Secret));

    public static CommandDefinition Define => new("secret-define", "define or modify a secret from an XML file",
        "Defines a secret from libvirt's <secret> XML, or changes the one with the same UUID. The value is set apart, with secret-set-value.",
        [
            OptionDefinition.Data("file", "file containing secret attributes in XML").Taking(OptionValues.Files),
            OptionDefinition.Flag("validate", "check the document before defining"),
        ],
        RunDefine);

    public static CommandDefinition Undefine => new("secret-undefine", "undefine a secret",
        "Removes a secret's definition and its value.",
        [Secret],
        RunUndefine);

    public static CommandDefinition List => new("secret-list", "list secrets",
        "Lists secrets by UUID with what they are used for.",
        [
            OptionDefinition.Flag("ephemeral", "list ephemeral secrets"),
            OptionDefinition.Flag("no-ephemeral", "list non-ephemeral secrets"),
            OptionDefinition.Flag("private", "list private secrets"),
            OptionDefinition.Flag("no-private", "list non-private secrets"),
        ],
        RunList);

    public static CommandDefinition DumpXml => new("secret-dumpxml", "print a secret's XML definition",
        "Prints a secret's attributes as XML; the value never appears in it.",
        [
            Secret,
            OptionDefinition.Str("xpath", "print only the nodes this XPath expression selects", namedOnly: true),
            OptionDefinition.Flag("wrap", "put the selected nodes inside one <nodes> element"),
        ],
        RunDumpXml);

    /// <remarks>
    /// As in virsh 9.0, --file is only taken by name (VSH_OFLAG_REQ_OPT), so the word after the secret is the value
    /// itself (--base64): a value typed there must never be mistaken for a file name and echoed in an error.
    /// </remarks>
    public static CommandDefinition SetValue => new("secret-set-value", "set a secret's value",
        "Sets a secret's value, base64-encoded unless --plain, from --file, --base64, the terminal (--interactive) "
        + "or, when none is given and standard input is not a terminal, standard input, so that the value need not "
        + "appear on a command line.",
        [
            Secret,
            OptionDefinition.Str("file", "read secret from file", namedOnly: true).Taking(OptionValues.Files),
            OptionDefinition.Flag("plain", "read the secret without converting from base64"),
            OptionDefinition.Flag("interactive", "read the secret from the terminal"),
            OptionDefinition.Str("base64", "base64-encoded secret value"),
        ],
        RunSetValue);

    public static CommandDefinition GetValue => new("secret-get-value", "print a secret's value",
        "Prints a secret's value in base64, or as it is with --plain. Private secrets are refused.",
        [Secret, OptionDefinition.Flag("plain", "get value without converting to base64")],
        RunGetValue);

    private static bool RunDefine(CommandContext context, ParsedCommand command)
    {
        string file = command.Required("file");
        string xml = UserFile.ReadXml(file);
        var secret = EngineCall.Run($"Failed to set attributes from {file}", () => context.Host.Secrets.Define(xml));
        context.Output.PrintExtra($"Secret {secret.Uuid:D} created\n");
        return true;
    }

    private static bool RunUndefine(CommandContext context, ParsedCommand command)
    {
        var secret = Lookup(context, command);
        EngineCall.Run($"Failed to delete secret {secret.Uuid:D}", () => context.Host.Secrets.Undefine(secret.Uuid.ToString("D")));
        context.Output.PrintExtra($"Secret {secret.Uuid:D} deleted\n");
        return true;
    }

    private static bool RunList(CommandContext context, ParsedCommand command)
    {
        var secrets = EngineCall.Run("Failed to list secrets", () => context.Host.Secrets.List());
        var table = new VirshTable("UUID", "Usage");
        foreach (var secret in secrets)
        {
            if (!Selected(command, "ephemeral", secret.Ephemeral) || !Selected(command, "private", secret.Private)) continue;
            table.AddRow(secret.Uuid.ToString("D"), UsageText(secret));
        }
        context.Output.Print(table.Render());
        return true;
    }

    private static bool RunDumpXml(CommandContext context, ParsedCommand command)
    {
        string? xpath = command.String("xpath");
        bool wrap = command.Flag("wrap");
        var secret = Lookup(context, command);
        string xml = context.Host.Secrets.GetXml(secret.Uuid.ToString("D"));
        context.Output.Print(xpath is null ? xml : XPathPrinter.Print(xml, xpath, wrap, "secret"));
        return true;
    }

    private static bool RunSetValue(CommandContext context, ParsedCommand command)
    {
        command.Exclusive("file", "base64");
        command.Exclusive("interactive", "base64");
        command.Exclusive("interactive", "file");
        command.Exclusive("plain", "base64");
        var secret = Lookup(context, command);
        byte[] value = ReadValue(context, command);
        EngineCall.Run("Failed to set secret value", () => context.Host.Secrets.SetValue(secret.Uuid.ToString("D"), value));
        context.Output.PrintExtra("Secret value set\n");
        return true;
    }

    private static bool RunGetValue(CommandContext context, ParsedCommand command)
    {
        var secret = Lookup(context, command);
        byte[] value = context.Host.Secrets.GetValue(secret.Uuid.ToString("D"));
        if (command.Flag("plain"))
            context.Output.WriteBytes(value);
        else
            context.Output.Print(Convert.ToBase64String(value));
        return true;
    }

    /// <summary>virsh's lookup, with its "failed to get secret" line before the driver's error.</summary>
    private static SecretDefinition Lookup(CommandContext context, ParsedCommand command)
    {
        string name = command.Required(SecretOption);
        return EngineCall.Run($"failed to get secret '{name}'", () => context.Host.Secrets.Lookup(name));
    }

    /// <summary>The value's bytes from wherever the user gave them; never echoed back in a message.</summary>
    private static byte[] ReadValue(CommandContext context, ParsedCommand command)
    {
        bool plain = command.Flag("plain");
        if (command.String("base64") is { } base64)
        {
            // virsh 9.0 says this (as an error line) and goes on; so does kvmstor, which also offers stdin.
            context.Output.Error("Passing secret value as command-line argument is insecure!");
            return DecodeBase64(Encoding.UTF8.GetBytes(base64));
        }

        byte[] input;
        if (command.String("file") is { } file)
        {
            input = UserFile.ReadBytes(file);
        }
        else if (command.Flag("interactive"))
        {
            context.Output.Print("Enter new value for secret:");
            context.Output.Out.Flush();
            string line = context.Services.ReadHiddenLine() ?? throw new CommandError("Failed to read secret");
            input = Encoding.UTF8.GetBytes(line);
        }
        else if (!context.Services.StdinIsTerminal)
        {
            using var stdin = context.Services.OpenStdin();
            using var buffer = new MemoryStream();
            stdin.CopyTo(buffer);
            input = buffer.ToArray();
        }
        else
        {
            throw new CommandError("Input secret value is missing");
        }
        return plain ? input : DecodeBase64(input);
    }

    /// <summary>Base64 with line breaks and surrounding blanks ignored, as a file or a pipe usually ends in a newline.</summary>
    private static byte[] DecodeBase64(byte[] text)
    {
        var compact = new StringBuilder(text.Length);
        foreach (byte b in text)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                compact.Append((char)b);
        try { return Convert.FromBase64String(compact.ToString()); }
        catch (FormatException) { throw new CommandError("secret value is not valid base64"); }
    }

    /// <summary>--X and --no-X narrow the list; neither (or both) keeps every secret.</summary>
    private static bool Selected(ParsedCommand command, string flag, bool value)
    {
        bool yes = command.Flag(flag), no = command.Flag("no-" + flag);
        return yes == no || (yes ? value : !value);
    }

    /// <summary>virsh's usage column: "iscsi iqn.…", "ceph client.admin", "volume /path", or "Unused".</summary>
    public static string UsageText(SecretDefinition secret) =>
        secret.UsageType == SecretUsageType.None ? "Unused" : $"{SecretDefinition.UsageTypeName(secret.UsageType)} {secret.UsageId}";
}
