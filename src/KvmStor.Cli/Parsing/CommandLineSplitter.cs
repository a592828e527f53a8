using System.Text;

namespace KvmStor.Cli.Parsing;

/// <summary>
/// Splits virsh's single-argument form (<c>kvmstor 'pool-list --all; pool-info p1'</c>) into commands and words:
/// blanks separate words, ';' or a newline ends a command, '...' is literal, "..." groups words with backslash
/// escapes, and a word starting with '#' comments out the rest of the line.
/// </summary>
public static class CommandLineSplitter
{
    public static List<List<string>> Split(string text)
    {
        var commands = new List<List<string>>();
        var current = new List<string>();
        int i = 0;
        while (true)
        {
            while (i < text.Length && (text[i] is ' ' or '\t' || (text[i] == '\\' && i + 1 < text.Length && text[i + 1] == '\n')))
                i += text[i] == '\\' ? 2 : 1;
            if (i >= text.Length) break;
            char c = text[i];
            if (c is ';' or '\n')
            {
                i++;
                EndCommand();
                continue;
            }
            if (c == '#')
            {
                while (i < text.Length && text[i] != '\n') i++;
                if (i < text.Length) i++;
                EndCommand();
                continue;
            }
            current.Add(ReadWord(text, ref i));
        }
        EndCommand();
        return commands;

        void EndCommand()
        {
            if (current.Count > 0) commands.Add(current);
            current = [];
        }
    }

    private static string ReadWord(string text, ref int i)
    {
        var word = new StringBuilder();
        bool doubleQuoted = false;
        while (i < text.Length)
        {
            char c = text[i];
            if (!doubleQuoted)
            {
                if (c is ' ' or '\t' or ';' or '\n') break;
                if (c == '\'')
                {
                    int close = text.IndexOf('\'', i + 1);
                    if (close < 0) throw new SyntaxError("missing '");
                    word.Append(text, i + 1, close - i - 1);
                    i = close + 1;
                    continue;
                }
            }
            if (c == '\\')
            {
                i++;
                if (i >= text.Length) throw new SyntaxError("dangling \\");
                if (text[i] == '\n') { i++; continue; }
            }
            else if (c == '"')
            {
                doubleQuoted = !doubleQuoted;
                i++;
                continue;
            }
            word.Append(text[i]);
            i++;
        }
        if (doubleQuoted) throw new SyntaxError("missing \"");
        return word.ToString();
    }
}
