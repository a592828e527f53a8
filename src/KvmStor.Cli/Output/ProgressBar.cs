using System.Globalization;
using System.Text;

namespace KvmStor.Cli.Output;

/// <summary>
/// One progress line on stderr, redrawn in place with '\r': "Wiping [########-----------] 42.17 %". Drawn only
/// when stderr is a terminal (a pipe or a log gets nothing), only when the shown hundredth of a percent changes,
/// and wiped off the line when the operation ends so the usual messages follow on a clean line.
/// </summary>
public sealed class ProgressBar(TextWriter stderr, string label, bool enabled)
{
    private const int BarWidth = 30;
    private readonly object _gate = new();
    private long _shown = -1;
    private int _drawnLength;

    /// <summary>The engine's <see cref="KvmStor.Model.ByteProgress"/> callback; may be called from any thread.</summary>
    public void Report(long done, long total)
    {
        if (!enabled || total <= 0) return;
        long hundredths = Math.Clamp(done, 0, total) * 10000 / total;
        lock (_gate)
        {
            if (hundredths == _shown) return;
            _shown = hundredths;
            string line = Render(label, hundredths);
            stderr.Write("\r" + line);
            stderr.Flush();
            _drawnLength = line.Length;
        }
    }

    /// <summary>Clears the line (whether the operation succeeded or not).</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_drawnLength == 0) return;
            stderr.Write("\r" + new string(' ', _drawnLength) + "\r");
            stderr.Flush();
            _drawnLength = 0;
        }
    }

    /// <summary>The text of the line for a fraction given in hundredths of a percent (0 … 10000).</summary>
    public static string Render(string label, long hundredths)
    {
        int filled = (int)(hundredths * BarWidth / 10000);
        var text = new StringBuilder(label.Length + BarWidth + 12);
        text.Append(label).Append(" [").Append('#', filled).Append('-', BarWidth - filled).Append("] ");
        text.Append((hundredths / 100.0).ToString("0.00", CultureInfo.InvariantCulture).PadLeft(6)).Append(" %");
        return text.ToString();
    }
}
