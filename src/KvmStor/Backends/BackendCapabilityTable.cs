using KvmStor.Model;

namespace KvmStor.Backends;

/// <summary>
/// The one table of backend capabilities: which interface gives each one, and libvirt's error text when an operation
/// needs it and the pool's backend lacks it (none for those whose absence is simply skipped: a pool without a build
/// step builds trivially, one without start or stop has nothing to bring up or down, one without a check stays running).
/// </summary>
public static class BackendCapabilityTable
{
    private sealed record Row(BackendCapabilities Flag, Type Interface, Func<PoolType, string>? MissingText)
    {
        /// <summary>A backend has the capability when it implements the row's interface.</summary>
        public bool Has(IPoolBackend backend) => Interface.IsInstanceOfType(backend);
    }

    private static readonly Row[] Rows =
    [
        new(BackendCapabilities.Check, typeof(IPoolChecker), null),
        new(BackendCapabilities.Build, typeof(IPoolBuilder), null),
        new(BackendCapabilities.Start, typeof(IPoolStarter), null),
        new(BackendCapabilities.Stop, typeof(IPoolStopper), null),
        new(BackendCapabilities.Delete, typeof(IPoolDeleter), _ => "pool does not support pool deletion"),
        new(BackendCapabilities.Refresh, typeof(IPoolBackend), null),
        new(BackendCapabilities.FindSources, typeof(ISourceFinder),
            type => $"pool type '{type.ToXmlName()}' does not support source discovery"),
        new(BackendCapabilities.CreateVolume, typeof(IVolumeCreator),
            _ => "storage pool does not support volume creation"),
        new(BackendCapabilities.CreateVolumeFrom, typeof(IVolumeCloner),
            _ => "storage pool does not support volume creation from an existing volume"),
        new(BackendCapabilities.DeleteVolume, typeof(IVolumeDeleter),
            _ => "storage pool does not support vol deletion"),
        new(BackendCapabilities.ResizeVolume, typeof(IVolumeResizer),
            _ => "storage pool does not support changing of volume capacity"),
        new(BackendCapabilities.UploadVolume, typeof(IVolumeUploader),
            _ => "storage pool doesn't support volume upload"),
        new(BackendCapabilities.DownloadVolume, typeof(IVolumeDownloader),
            _ => "storage pool doesn't support volume download"),
        new(BackendCapabilities.WipeVolume, typeof(IVolumeWiper),
            _ => "storage pool doesn't support volume wiping"),
    ];

    /// <summary>Everything <paramref name="backend"/> can do, from the interfaces it implements.</summary>
    public static BackendCapabilities Of(IPoolBackend backend)
    {
        var capabilities = BackendCapabilities.None;
        foreach (var row in Rows)
            if (row.Has(backend)) capabilities |= row.Flag;
        return capabilities;
    }

    /// <summary>Throws libvirt's error for <paramref name="capability"/> unless <paramref name="backend"/> has it.</summary>
    public static void Require(IPoolBackend backend, BackendCapabilities capability)
    {
        var row = RowOf(capability);
        if (!row.Has(backend)) throw Missing(row, backend.Type);
    }

    /// <summary>The backend as the interface of a capability, or libvirt's error when it lacks that capability.</summary>
    public static T Require<T>(IPoolBackend backend) where T : class =>
        backend as T ?? throw Missing(Rows.Single(r => r.Interface == typeof(T)), backend.Type);

    /// <summary>libvirt's text for a missing capability of a pool type; null when its absence is skipped rather than refused.</summary>
    public static string? MissingText(BackendCapabilities capability, PoolType type) => RowOf(capability).MissingText?.Invoke(type);

    private static Row RowOf(BackendCapabilities capability) => Rows.Single(r => r.Flag == capability);

    private static StorageException Missing(Row row, PoolType type) =>
        StorageException.NoSupport(row.MissingText?.Invoke(type)
            ?? throw new InvalidOperationException($"a missing {row.Flag} capability is skipped, never refused"));

    /// <summary><c>backend.Capabilities</c>: the derived capabilities, read like a property.</summary>
    extension(IPoolBackend backend)
    {
        public BackendCapabilities Capabilities => Of(backend);
    }
}
