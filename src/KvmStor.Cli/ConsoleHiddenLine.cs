using System.Text;

namespace KvmStor.Cli;

/// <summary>Reads a line from the terminal without echoing it, for secret values typed by hand.</summary>
public static class ConsoleHiddenLine
{
    public static string? Read()
    {
        if (Console.IsInputRedirected) return Console.In.ReadLine();
        var line = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (line.Length > 0) line.Length--; continue; }
            if (key.KeyChar != '\0') line.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return line.ToString();
    }
}
