namespace KvmStor.Model;

/// <summary>How qemu opens a volume of a pool type that a guest's &lt;disk type='volume'&gt; names.</summary>
public enum QemuVolumeDriver
{
    /// <summary>qemu's file driver on the volume's path.</summary>
    File,
    /// <summary>qemu's host_device driver on the volume's block device.</summary>
    HostDevice,
    /// <summary>host_device on the kernel session's LUN device, or qemu's own initiator for &lt;source mode='direct'&gt; (iscsi).</summary>
    KernelIscsiOrDirect,
    /// <summary>qemu's own iSCSI initiator (iscsi-direct).</summary>
    Iscsi,
    /// <summary>qemu's rbd driver (librbd), with the pool's monitors and cephx key.</summary>
    Rbd,
    /// <summary>qemu's gluster driver (libgfapi), with the pool's servers.</summary>
    Gluster,
    /// <summary>qemu's sheepdog driver, which qemu 6.0 removed: such volumes cannot be given to this host's qemu.</summary>
    Sheepdog,
}
