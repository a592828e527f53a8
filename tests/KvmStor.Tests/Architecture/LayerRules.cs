namespace KvmStor.Tests.Architecture;

/// <summary>
/// Which layer may use which: each layer is a namespace (and everything under it, unless a longer one is a layer of
/// its own) with the layers it may use besides itself. Any other use between two layers runs the wrong way.
/// </summary>
public sealed class LayerRules(IReadOnlyDictionary<string, string[]> mayUse)
{
    public IEnumerable<string> Layers => mayUse.Keys;

    /// <summary>The layer a type belongs to (the longest matching namespace), or null when it is outside them all.</summary>
    public string? LayerOf(string fullTypeName)
    {
        var dot = fullTypeName.LastIndexOf('.');
        if (dot < 0) return null;
        var ns = fullTypeName[..dot];
        string? best = null;
        foreach (var layer in mayUse.Keys)
            if ((ns == layer || ns.StartsWith(layer + ".", StringComparison.Ordinal)) && (best is null || layer.Length > best.Length))
                best = layer;
        return best;
    }

    public bool RunsTheWrongWay(TypeEdge edge)
    {
        var from = LayerOf(edge.From);
        var to = LayerOf(edge.To);
        if (from is null || to is null || from == to) return false;
        return !mayUse[from].Contains(to);
    }

    public IReadOnlyList<TypeEdge> WrongWayEdges(IEnumerable<TypeEdge> edges) =>
        edges.Where(RunsTheWrongWay).Distinct()
            .OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal).ToList();
}
