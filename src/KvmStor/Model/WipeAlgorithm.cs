namespace KvmStor.Model;

/// <summary>vol-wipe's algorithms (virStorageVolWipeAlgorithm), in libvirt's order.</summary>
public enum WipeAlgorithm { Zero, Nnsa, Dod, Bsi, Gutmann, Schneier, Pfitzner7, Pfitzner33, Random, Trim }

public static class WipeAlgorithmNames
{
    private static readonly string[] Names =
        ["zero", "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7", "pfitzner33", "random", "trim"];

    public static string ToName(this WipeAlgorithm algorithm) => Names[(int)algorithm];

    public static bool TryParse(string? name, out WipeAlgorithm algorithm)
    {
        int i = name is null ? -1 : Array.IndexOf(Names, name);
        algorithm = i < 0 ? default : (WipeAlgorithm)i;
        return i >= 0;
    }
}
