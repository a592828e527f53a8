namespace KvmStor.Cli.Output;

/// <summary>
/// Where commands write: results to stdout, "extra" chatter (success messages, the blank line after each
/// command) to stdout unless -q, errors to stderr with virsh's "error: " prefix.
/// </summary>
public sealed class OutputWriter(TextWriter stdout, TextWriter stderr, bool quiet)
{
    public TextWriter Out { get; } = stdout;
    public TextWriter Err { get; } = stderr;
    public bool Quiet { get; } = quiet;

    /// <summary>virsh's vshPrint: always shown.</summary>
    public void Print(string text) => Out.Write(text);

    public void PrintLine(string line) => Out.Write(line + "\n");

    /// <summary>Bytes as they are (secret-get-value --plain): straight to the stream under a StreamWriter; a
    /// StringWriter (tests) gets one char per byte.</summary>
    public void WriteBytes(byte[] bytes)
    {
        Out.Flush();
        if (Out is StreamWriter { BaseStream: var stream })
        {
            stream.Write(bytes);
            stream.Flush();
        }
        else
        {
            Out.Write(System.Text.Encoding.Latin1.GetString(bytes));
        }
    }

    /// <summary>virsh's vshPrintExtra: hidden by -q.</summary>
    public void PrintExtra(string text)
    {
        if (!Quiet) Out.Write(text);
    }

    public void Error(string message)
    {
        Out.Flush();
        Err.Write("error: " + message + "\n");
        Err.Flush();
    }

    /// <summary>"warning: …" on stderr: something went wrong beside the command, which still ran.</summary>
    public void Warning(string message)
    {
        Out.Flush();
        Err.Write("warning: " + message + "\n");
        Err.Flush();
    }

    public void Flush()
    {
        Out.Flush();
        Err.Flush();
    }
}
