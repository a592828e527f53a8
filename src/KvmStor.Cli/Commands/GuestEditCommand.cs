using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>edit: the guest's definition in the user's editor, defined again when it changed.</summary>
public static class GuestEditCommand
{
    public static CommandDefinition Edit => new("edit", "edit a guest's XML definition",
        "Opens the guest's definition in $VISUAL, $EDITOR or vi and defines the result if it changed. "
        + "A definition that fails to parse, or was changed by someone else meanwhile, is not written.",
        [GuestLookup.Domain],
        RunEdit);

    private static bool RunEdit(CommandContext context, ParsedCommand command)
    {
        var guest = GuestLookup.Find(context, command);
        var host = GuestLookup.Host(context);
        string original = host.Guests.GetXml(guest.Name);
        string directory = context.Services.Variable("TMPDIR") ?? "/tmp";
        string file = Path.Combine(directory, $"kvmstor-{Path.GetRandomFileName()[..8]}.xml");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var writer = new StreamWriter(new FileStream(file, options))) writer.Write(original);
        try
        {
            context.Services.RunEditor(file, context.Services.Environment);
            string edited = File.ReadAllText(file);
            if (edited == original)
            {
                context.Output.PrintExtra($"Domain '{guest.Name}' XML configuration not changed.\n");
                return true;
            }
            if (host.Guests.GetXml(guest.Name) != original)
                throw new CommandError("The XML configuration was changed by another user.");
            var defined = EngineCall.Run("Failed.", () => host.Guests.Define(edited));
            context.Output.PrintExtra($"Domain '{defined.Name}' XML configuration edited.\n");
            return true;
        }
        finally
        {
            File.Delete(file);
        }
    }
}
