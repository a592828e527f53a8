using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// A LUN's volume key, as libvirt forms it: the SCSI serial from udev's scsi_id; for a vHBA (NPIV) LUN the serial plus
/// its target port group ("SERIAL_PORTn"), since several ports of one array report the same serial. Without an
/// answer the key is the volume's path.
/// </summary>
public sealed class ScsiSerial(ICommandRunner runner)
{
    public const string ScsiIdProgram = "/lib/udev/scsi_id";

    public static CommandLine SerialCommand(string device) =>
        new(ScsiIdProgram, "--replace-whitespace", "--whitelisted", "--device", device);

    public static CommandLine ExportCommand(string device) =>
        new(ScsiIdProgram, "--replace-whitespace", "--whitelisted", "--export", "--device", device);

    /// <summary>The volume with its key filled in; <paramref name="device"/> is what scsi_id is asked about.</summary>
    public VolumeDefinition Keyed(VolumeDefinition volume, string device, bool npiv) =>
        volume with { Key = KeyFor(device, npiv, volume.Target.Path!) };

    /// <param name="device">The device scsi_id opens.</param>
    /// <param name="fallback">The key when scsi_id has no answer (the volume path).</param>
    public string KeyFor(string device, bool npiv, string fallback)
    {
        if (!runner.Exists(ScsiIdProgram)) return fallback;
        var result = runner.Run(npiv ? ExportCommand(device) : SerialCommand(device));
        if (!result.Success) return fallback;
        string? key = npiv ? NpivKey(result.StandardOutput) : FirstLine(result.StandardOutput);
        return string.IsNullOrEmpty(key) ? fallback : key;
    }

    /// <summary>ID_SERIAL and ID_TARGET_PORT from scsi_id --export, joined as "SERIAL_PORTn"; null when either is missing.</summary>
    public static string? NpivKey(string export)
    {
        string? serial = null, port = null;
        foreach (var line in export.Split('\n'))
        {
            if (line.StartsWith("ID_SERIAL=", StringComparison.Ordinal)) serial ??= line["ID_SERIAL=".Length..].Trim();
            else if (line.StartsWith("ID_TARGET_PORT=", StringComparison.Ordinal)) port ??= line["ID_TARGET_PORT=".Length..].Trim();
        }
        return string.IsNullOrEmpty(serial) || string.IsNullOrEmpty(port) ? null : $"{serial}_PORT{port}";
    }

    private static string FirstLine(string output)
    {
        int newline = output.IndexOf('\n');
        return newline >= 0 ? output[..newline] : output;
    }
}
