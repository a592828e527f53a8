namespace KvmStor.Tests.Guests;

/// <summary>Domain XML used across the guest tests.</summary>
internal static class GuestSamples
{
    /// <summary>A definition with everything kvmstor does not understand: comments, metadata in a foreign namespace,
    /// unknown elements and attributes, double-quoted attributes, odd indentation, a CDATA section.</summary>
    public const string Rich = """
        <!-- kept: a comment before the root -->
        <domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
          <name>rich</name>
          <uuid>0d3f0e9e-3bd5-4b43-9d0a-3f2c1f1c1a11</uuid>
          <metadata>
            <app:info xmlns:app="http://example.org/app/1" app:owner="ops">
              <app:note><![CDATA[keep <this> & that]]></app:note>
            </app:info>
          </metadata>
          <memory unit='MiB'>256</memory>
          <vcpu placement='static'>2</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>/boot/vmlinuz</kernel>
            <initrd>/boot/initrd.img</initrd>
            <cmdline>console=ttyS0 quiet</cmdline>
          </os>
          <features><acpi/><apic/></features>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <!-- the system disk -->
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2' discard='unmap'/>
              <source file='/var/lib/images/rich.qcow2'/>
              <target dev='vda' bus='virtio'/>
              <boot order='1'/>
              <future-element x='1'/>
            </disk>
            <interface type='network'>
              <source network='default'/>
               <model type="virtio"/>
            </interface>
            <serial type='pty'/>
          </devices>
          <qemu:commandline>
            <qemu:arg value='-no-hpet'/>
          </qemu:commandline>
        </domain>

        """;

    public const string Minimal = """
        <domain type='kvm'>
          <name>mini</name>
          <memory unit='KiB'>131072</memory>
          <devices>
          </devices>
        </domain>

        """;
}
