using System.Text;
using KvmStor.Host;

namespace KvmStor.Cli.Wrapper;

/// <summary>
/// One pass of the up-to-date check over the inputs listed in out/kvmstor.sources (the rule is
/// <see cref="SourceTreeFreshness"/>'s). Several threads may run it at once, each claiming the next few lines: the
/// check's own thread starts it, and the main thread, when it reaches the point where it must wait for the answer
/// before the work is done, takes a share of what is left instead of waiting idle.
/// </summary>
/// <remarks>
/// It allocates nothing per input (issue 15: the wrapper may add at most 1 ms): the list is read once as bytes and each
/// path is stated relative to the tree's open directory from a stack buffer.
/// </remarks>
internal sealed class InputPass : IDisposable
{
    private const int LinesPerClaim = 16;
    private const int MaximumStampLength = 4 << 20;
    private const int PathBufferLength = 4096;

    private readonly string _root;
    private readonly byte[] _stamp;
    private readonly int[] _lineStarts; // one more than there are lines: the last is where the list ends
    private readonly string[] _suffixes;
    private readonly FileTimestamp _built;
    private readonly DirectoryHandle _tree;
    private int _nextLine;
    private int _stale; // 1 once a listed file changed, cannot be stated or a line is not understood
    private List<int>? _changedDirectories;
    private readonly Lock _changedDirectoriesLock = new();

    private InputPass(string root, byte[] stamp, int[] lineStarts, string[] suffixes, FileTimestamp built, DirectoryHandle tree) =>
        (_root, _stamp, _lineStarts, _suffixes, _built, _tree) = (root, stamp, lineStarts, suffixes, built, tree);

    /// <summary>Reads the list; null when there is none (or it cannot be read or understood): the tree is not current.</summary>
    public static InputPass? Open(string root)
    {
        byte[] stamp;
        FileTimestamp built;
        try
        {
            using var list = File.OpenHandle(Path.Combine(root, SourceTreeFreshness.StampPath));
            built = FileSystem.Stat(list).Modified;
            long length = RandomAccess.GetLength(list);
            if (length > MaximumStampLength) return null;
            stamp = new byte[length];
            if (RandomAccess.Read(list, stamp, 0) != length) return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FileSystemException) { return null; }

        ReadOnlySpan<byte> header = "# suffixes "u8;
        int headerEnd = stamp.AsSpan().IndexOf((byte)'\n');
        if (headerEnd < 0 || !stamp.AsSpan().StartsWith(header)) return null;
        string[] suffixes = Encoding.UTF8.GetString(stamp, header.Length, headerEnd - header.Length)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var rest = stamp.AsSpan(headerEnd + 1);
        int lines = rest.Count((byte)'\n') + (rest.IsEmpty || rest[^1] == (byte)'\n' ? 0 : 1);
        if (lines == 0) return null;
        var lineStarts = new int[lines + 1];
        for (int i = 0, at = headerEnd + 1; i <= lines; i++)
        {
            lineStarts[i] = at;
            int end = at < stamp.Length ? stamp.AsSpan(at).IndexOf((byte)'\n') : -1;
            at = end < 0 ? stamp.Length + 1 : at + end + 1;
        }
        try
        {
            return new InputPass(root, stamp, lineStarts, suffixes, built, DirectoryHandle.Open(root));
        }
        catch (FileSystemException) { return null; }
    }

    /// <summary>States inputs until none is left unclaimed or one has changed; safe to run on several threads at once.</summary>
    public void Run()
    {
        Span<byte> path = stackalloc byte[PathBufferLength];
        int lines = _lineStarts.Length - 1;
        while (Volatile.Read(ref _stale) == 0)
        {
            int first = Interlocked.Add(ref _nextLine, LinesPerClaim) - LinesPerClaim;
            if (first >= lines) return;
            for (int i = first; i < Math.Min(first + LinesPerClaim, lines); i++)
                if (!Unchanged(i, path))
                {
                    Volatile.Write(ref _stale, 1);
                    return;
                }
        }
    }

    /// <summary>Whether line <paramref name="index"/>'s input is unchanged, as far as a stat can tell.</summary>
    private bool Unchanged(int index, Span<byte> path)
    {
        var line = _stamp.AsSpan(_lineStarts[index], _lineStarts[index + 1] - 1 - _lineStarts[index]);
        if (line.Length < 3 || line[1] != (byte)' ' || line.Length - 2 >= path.Length) return false;
        var relative = line[2..];
        relative.CopyTo(path);
        path[relative.Length] = 0;
        if (!_tree.TryGetChangeTime(path[..(relative.Length + 1)], out var changed)) return false;
        if (!SourceTreeFreshness.Later(changed, _built)) return true;
        if (line[0] == (byte)'f') return false;
        // A directory changed: only its entries matter, not its timestamps; they are read once every thread is done.
        lock (_changedDirectoriesLock) (_changedDirectories ??= []).Add(index);
        return true;
    }

    /// <summary>
    /// Once every thread's <see cref="Run"/> has returned: whether every listed input is unchanged, a changed
    /// directory's entries being read again.
    /// </summary>
    public bool Unchanged()
    {
        if (_stale != 0 || _nextLine < _lineStarts.Length - 1) return false;
        if (_changedDirectories is null) return true;
        return SameInputsIn(_changedDirectories.Select(index =>
            Encoding.UTF8.GetString(_stamp, _lineStarts[index], _lineStarts[index + 1] - 1 - _lineStarts[index])));
    }

    /// <summary>
    /// Whether the listed directories (their lines, "d path" or "t path"), whose ctimes moved while every file's stayed
    /// (the early check's finding), still hold the inputs listed.
    /// </summary>
    public static bool DirectoriesUnchanged(string root, IEnumerable<string> directoryLines)
    {
        using var pass = Open(root);
        return pass is not null && pass.SameInputsIn(directoryLines);
    }

    private bool SameInputsIn(IEnumerable<string> directoryLines)
    {
        var listed = new HashSet<string>(Encoding.UTF8.GetString(_stamp).Split('\n'), StringComparer.Ordinal);
        foreach (string line in directoryLines)
            if (!listed.Contains(line) || line[0] is not ('d' or 't') ||
                !SourceTreeFreshness.SameInputs(_root, line[2..], withDirectories: line[0] == 'd', _suffixes, listed))
                return false;
        return true;
    }

    public void Dispose() => _tree.Dispose();
}
