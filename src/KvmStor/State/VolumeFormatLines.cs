using System.Globalization;
using System.Text;
using KvmStor.Backends;

namespace KvmStor.State;

/// <summary>
/// The text of a pool's format-record file: one line "inode birth-time format name" per record, the name last so
/// that it may hold spaces (never a newline: such names are refused). A later line for a name wins over an earlier
/// one, which lets a record be added by appending a line. Only lines ended by '\n' count: a crash during an append
/// can leave a partial last line, and a prefix of a line must never pass for a record.
/// </summary>
internal static class VolumeFormatLines
{
    /// <summary>
    /// Applies the complete lines of <paramref name="bytes"/> to <paramref name="records"/>; returns how many bytes
    /// they span (up to and including the last '\n') and how many records they held.
    /// </summary>
    public static (int Consumed, int Lines) ApplyComplete(ReadOnlySpan<byte> bytes, Dictionary<string, RecordedFormat> records)
    {
        int end = bytes.LastIndexOf((byte)'\n') + 1; // UTF-8 never uses the byte 0x0A inside a character
        int lines = 0;
        foreach (var line in Encoding.UTF8.GetString(bytes[..end]).Split('\n'))
        {
            string[] fields = line.Split(' ', 4);
            if (fields.Length == 4 && ulong.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
                && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long born))
            {
                records[fields[3]] = new RecordedFormat(inode, fields[2], born);
                lines++;
            }
        }
        return (end, lines);
    }

    public static void AppendLine(StringBuilder text, string name, RecordedFormat recorded) =>
        text.Append(recorded.Inode.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(recorded.Born.ToString(CultureInfo.InvariantCulture)).Append(' ')
            .Append(recorded.Format).Append(' ').Append(name).Append('\n');

    /// <summary>The whole file for <paramref name="records"/>, one line each, sorted by name.</summary>
    public static string Format(IReadOnlyDictionary<string, RecordedFormat> records)
    {
        var text = new StringBuilder();
        foreach (var (name, recorded) in records.OrderBy(r => r.Key, StringComparer.Ordinal))
            AppendLine(text, name, recorded);
        return text.ToString();
    }
}
