namespace KvmStor.Xml;

/// <summary>How a volume document is read (libvirt's VIR_VOL_XML_PARSE_* flags plus kvmstor's own).</summary>
[Flags]
public enum VolumeParseOptions
{
    None = 0,
    /// <summary>&lt;capacity&gt; may be absent (vol-create-from / clone: the input volume supplies it).</summary>
    NoCapacity = 1,
    /// <summary>&lt;capacity&gt; may be absent when a backing store is given (vol-create of an overlay).</summary>
    OptionalCapacity = 2,
    /// <summary>
    /// kvmstor only: also read the output-only parts (&lt;source&gt; extents, &lt;physical&gt;, &lt;timestamps&gt;)
    /// that libvirt's parser ignores, so a dumped volume reads back whole. Never used for user input.
    /// </summary>
    KeepOutputOnlyElements = 4,
}
