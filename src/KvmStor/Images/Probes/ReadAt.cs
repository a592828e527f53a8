namespace KvmStor.Images.Probes;

/// <summary>
/// Reads past the header buffer (a backing name stored further in): at most <paramref name="length"/> bytes, fewer
/// (or none) at the end of the file or on an error. Never throws.
/// </summary>
internal delegate byte[] ReadAt(long offset, int length);
