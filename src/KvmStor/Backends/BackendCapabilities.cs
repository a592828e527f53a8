namespace KvmStor.Backends;

/// <summary>
/// What a backend can do, as one set of flags (the capability matrix). Never declared by a backend: derived from the
/// interfaces it implements by <see cref="BackendCapabilityTable"/>.
/// </summary>
[Flags]
public enum BackendCapabilities
{
    None = 0,
    Check = 1 << 0,
    Build = 1 << 1,
    Start = 1 << 2,
    Stop = 1 << 3,
    Delete = 1 << 4,
    Refresh = 1 << 5,
    FindSources = 1 << 6,
    CreateVolume = 1 << 7,
    CreateVolumeFrom = 1 << 8,
    DeleteVolume = 1 << 9,
    ResizeVolume = 1 << 10,
    UploadVolume = 1 << 11,
    DownloadVolume = 1 << 12,
    WipeVolume = 1 << 13,
}
