namespace KvmStor.Model;

/// <summary>libvirt's scaled integers: "10G", "512 MiB", "1000 KB", unit='bytes'.</summary>
public static class ScaledInteger
{
    /// <summary>
    /// The multiplier for a unit suffix as virScaleInteger reads it: empty → <paramref name="defaultScale"/>;
    /// b/byte/bytes → 1; a bare letter or "xiB" → powers of 1024; "xB" → powers of 1000 (k m g t p e, any case).
    /// Returns null for an unknown suffix.
    /// </summary>
    public static ulong? UnitMultiplier(string unit, ulong defaultScale = 1)
    {
        if (unit.Length == 0) return defaultScale;
        string lower = unit.ToLowerInvariant();
        if (lower is "b" or "byte" or "bytes") return 1;
        int power = "kmgtpe".IndexOf(lower[0]) + 1;
        if (power == 0) return null;
        ulong baseValue = lower.Substring(1) switch
        {
            "" or "ib" => 1024,
            "b" => 1000,
            _ => 0,
        };
        if (baseValue == 0) return null;
        ulong scale = 1;
        for (int i = 0; i < power; i++) scale *= baseValue;
        return scale;
    }

    /// <summary>
    /// Multiplies with overflow checking against <paramref name="limit"/>. Returns false when the product exceeds it.
    /// </summary>
    public static bool TryScale(ulong value, ulong scale, ulong limit, out ulong result)
    {
        result = 0;
        if (scale != 0 && value > limit / scale) return false;
        result = value * scale;
        return result <= limit;
    }

    /// <summary>
    /// Parses "digits[suffix]" (virsh's vshCommandOptScaledInt / virshVolSize). Leading '+' accepted, no sign otherwise.
    /// Errors: <see cref="SizeError.Malformed"/> for junk or negatives, <see cref="SizeError.UnknownSuffix"/>, <see cref="SizeError.Overflow"/>.
    /// </summary>
    public static SizeError TryParse(string text, out ulong bytes, ulong defaultScale = 1, ulong limit = ulong.MaxValue)
    {
        bytes = 0;
        string s = text.Trim();
        if (s.StartsWith('+')) s = s[1..];
        int i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 0) return SizeError.Malformed;
        if (!ulong.TryParse(s.AsSpan(0, i), out ulong value)) return SizeError.Overflow;
        string suffix = s[i..].TrimStart();
        var scale = UnitMultiplier(suffix, defaultScale);
        if (scale is null) return SizeError.UnknownSuffix;
        if (!TryScale(value, scale.Value, limit, out bytes)) return SizeError.Overflow;
        return SizeError.None;
    }

    /// <summary>virsh's vshPrettyCapacity: value scaled to B, KiB … EiB.</summary>
    public static (double Value, string Unit) Pretty(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double limit = 1024;
        for (int u = 0; u < units.Length; u++, limit *= 1024)
            if (bytes < limit) return (u == 0 ? bytes : bytes / (limit / 1024), units[u]);
        return (bytes / (limit / 1024), "EiB");
    }

    /// <summary>"%.2lf %s" as virsh prints sizes in tables and info lines.</summary>
    public static string Format(ulong bytes)
    {
        var (v, unit) = Pretty(bytes);
        return v.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) + " " + unit;
    }
}

public enum SizeError { None, Malformed, UnknownSuffix, Overflow }
