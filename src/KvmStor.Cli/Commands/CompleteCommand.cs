using KvmStor.Cli.Parsing;
using KvmStor.Guests;
using KvmStor.Model;

namespace KvmStor.Cli.Commands;

/// <summary>
/// <c>kvmstor complete -- WORDS…</c>: virsh's completion command, which contrib/kvmstor.bash-completion calls on Tab.
/// Prints one candidate per line and nothing else: no error, no empty line, exit status 0 even when nothing fits.
/// </summary>
public static class CompleteCommand
{
    public static CommandDefinition Complete => new("complete", "print the words that complete a command line",
        "Prints, one per line, the words that may stand where the last of WORDS is being typed (an empty last word "
        + "asks for everything that fits there): command names, option names, and the values of the option at hand — "
        + "pools in the state the command needs, volumes of the pool on the line, secrets, guests, disk targets, pool "
        + "types, volume formats, wipe algorithms, files. WORDS are the command line after the program name; global "
        + "options such as -c URI may lead. It starts no pool and prints no errors. The bash completion script calls it.",
        [OptionDefinition.Words("words", "the command line so far, the word being typed last")],
        Run, Internal: true);

    private static bool Run(CommandContext context, ParsedCommand command)
    {
        var connections = new List<CommandContext>();
        try
        {
            var completer = new Completer(context.Table, uri =>
            {
                // The connection the line names (-c URI among the words), else the one kvmstor was started with.
                var connection = new CommandContext(context.Output, context.Services, context.Table, uri ?? context.Uri, autostartPools: false);
                connections.Add(connection);
                return new LiveValues(connection);
            });
            foreach (var candidate in completer.Complete(command.Words("words")))
                context.Output.PrintLine(candidate);
        }
        finally
        {
            foreach (var connection in connections) connection.Dispose();
        }
        return true;
    }

    /// <summary>Values from the engine, the model's name lists and the file system; whatever fails offers nothing.</summary>
    private sealed class LiveValues(CommandContext context) : IOptionValueSource
    {
        public IEnumerable<string> ValuesOf(OptionValues values, string current, Func<string, string?> scope)
        {
            try
            {
                // Materialised here, so that a failure while listing is caught here too.
                return Lookup(values, current, scope).ToList();
            }
            catch (Exception e) when (e is StorageException or CommandError or IOException or UnauthorizedAccessException)
            {
                return [];
            }
        }

        private IEnumerable<string> Lookup(OptionValues values, string current, Func<string, string?> scope) => values.Kind switch
        {
            ValueKind.Pool => values.States switch
            {
                PoolStates.Active => context.Host.Pools.Names(active: true),
                PoolStates.Inactive => context.Host.Pools.Names(active: false),
                PoolStates.Persistent => context.Host.Pools.Names(persistent: true),
                _ => context.Host.Pools.Names(),
            },
            ValueKind.PoolUuid => context.Host.Pools.List(new Engine.PoolListFilter()).Select(p => p.Uuid.ToString("D")),
            ValueKind.Volume => VolumesIn(scope(values.Scope!), current),
            ValueKind.VolumeKey => context.Host.Volumes.OfRunningPools().Select(v => v.Volume.Key).OfType<string>(),
            ValueKind.PoolType => PoolTypeNames.All.Select(t => t.ToXmlName()),
            ValueKind.PoolTypeList => PoolTypeList(current),
            ValueKind.VolumeFormat => VolumeFormatsOf(values.Scope is null ? null : scope(values.Scope)),
            ValueKind.WipeAlgorithm => Enum.GetValues<WipeAlgorithm>().Select(a => a.ToName()),
            ValueKind.Secret => context.Host.Secrets.List().SelectMany(s => new[] { s.Uuid.ToString("D"), s.UsageId }).OfType<string>(),
            ValueKind.SecretUuid => context.Host.Secrets.List().Select(s => s.Uuid.ToString("D")),
            ValueKind.SecretUsage => context.Host.Secrets.List().Select(s => s.UsageId).OfType<string>(),
            ValueKind.Guest => GuestLookup.Host(context).Guests.Names(),
            ValueKind.GuestDisk => DiskTargets(scope(values.Scope!)),
            ValueKind.Command => context.Table.Groups.SelectMany(g => g.Commands.Where(c => !c.Internal).Select(c => c.Name).Append(g.Keyword)),
            ValueKind.File => UserFiles(current, context.Services.Variable("HOME")),
            ValueKind.Choice => values.Choices,
            _ => [],
        };

        /// <summary>Names in the pool given on the line; without one, the paths of running pools' volumes once a path is being typed.</summary>
        private IEnumerable<string> VolumesIn(string? poolWord, string current)
        {
            var host = context.Host;
            if (poolWord is not null)
                return host.Volumes.List(host.Lookup.PoolByNameOrUuid(poolWord).Name).Select(v => v.Name);
            return current.StartsWith('/') ? host.Volumes.OfRunningPools().Select(v => v.Volume.Target.Path).OfType<string>() : [];
        }

        /// <summary>The formats the pool on the line takes for its volumes; image formats when there is no pool.</summary>
        private IEnumerable<string> VolumeFormatsOf(string? poolWord)
        {
            var rule = poolWord is null ? VolumeFormatRule.ImageFiles : VolumeFormats.RuleFor(context.Host.Lookup.PoolByNameOrUuid(poolWord).Type);
            return rule.Names.Where(rule.Accepts);
        }

        private IEnumerable<string> DiskTargets(string? guestWord)
        {
            if (guestWord is null) return [];
            var host = GuestLookup.Host(context);
            return host.Guests.Disks(host.Lookup.Guest(guestWord).Name).Select(d => d.TargetDev);
        }

        /// <summary>pool-list --type dir,fs,…: the types that may follow the last comma, after what is typed before it.</summary>
        private static IEnumerable<string> PoolTypeList(string current)
        {
            string head = current[..(current.LastIndexOf(',') + 1)];
            var given = head.Split(',', StringSplitOptions.RemoveEmptyEntries);
            return PoolTypeNames.All.Select(t => t.ToXmlName()).Where(t => !given.Contains(t)).Select(t => head + t);
        }
    }

    /// <summary>
    /// Local paths that start with <paramref name="current"/>, as a shell would offer them: directories end in '/',
    /// dot files only once a dot is typed, a leading "~/" stands for the home directory and is kept as typed.
    /// </summary>
    internal static IEnumerable<string> UserFiles(string current, string? home)
    {
        int slash = current.LastIndexOf('/');
        string typedDirectory = current[..(slash + 1)];
        string typedName = current[(slash + 1)..];
        string directory = typedDirectory.Length == 0 ? "."
            : typedDirectory.StartsWith("~/", StringComparison.Ordinal) && home is not null ? home + typedDirectory[1..]
            : typedDirectory;
        var found = new List<string>();
        try
        {
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                string name = entry.Name;
                if (!name.StartsWith(typedName, StringComparison.Ordinal) || (name.StartsWith('.') && !typedName.StartsWith('.')))
                    continue;
                // A link to a directory counts as one, as in the shell.
                bool isDirectory = entry is DirectoryInfo || (entry.LinkTarget is not null && Directory.Exists(entry.FullName));
                found.Add(typedDirectory + name + (isDirectory ? "/" : ""));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException) { }
        found.Sort(StringComparer.Ordinal);
        return found;
    }
}
