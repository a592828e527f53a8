namespace KvmStor.Images.Qcow2;

/// <summary>How a guest range of a qcow2 image is stored.</summary>
public enum Qcow2ExtentKind
{
    /// <summary>Data stored in this image (plain or compressed clusters).</summary>
    Data,
    /// <summary>Marked as reading zeros in this image (v3 zero clusters or zero subclusters).</summary>
    Zero,
    /// <summary>Not stored here: reads from the backing image, or zeros when there is none.</summary>
    Unallocated,
}

/// <summary>A run of guest bytes with one storage kind; lets callers copy sparsely.</summary>
public readonly record struct Qcow2Extent(long Offset, long Length, Qcow2ExtentKind Kind)
{
    public long End => Offset + Length;
}
