using KvmStor.Guests;

namespace KvmStor.Tests.Guests;

/// <summary>
/// The parts libvirt fills into a defined domain, added to kvmstor's stored definition when it is sent to a libvirt
/// client. The expected texts follow what libvirtd 9.0 returned for the same input (`virsh define` + `dumpxml` on
/// Debian 12), for the elements kvmstor adds; the machine is qemu's alias `pc` (libvirtd resolves it to
/// pc-i440fx-7.2 by probing qemu, which kvmstor does not).
/// </summary>
public class DomainDefaultsTests
{
    [Fact]
    public void A_minimal_definition_gets_current_memory_vcpu_arch_and_machine_in_libvirts_places()
    {
        const string stored = """
            <domain type='qemu'>
              <name>ck-guest</name>
              <uuid>af7668d6-50ae-4509-ba59-99859abfe241</uuid>
              <memory unit='MiB'>128</memory>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <disk type='volume' device='disk'>
                  <source pool='ck-dir' volume='used.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
              </devices>
            </domain>

            """;
        Assert.Equal("""
            <domain type='qemu'>
              <name>ck-guest</name>
              <uuid>af7668d6-50ae-4509-ba59-99859abfe241</uuid>
              <memory unit='MiB'>128</memory>
              <currentMemory unit='KiB'>131072</currentMemory>
              <vcpu placement='static'>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type></os>
              <devices>
                <disk type='volume' device='disk'>
                  <source pool='ck-dir' volume='used.qcow2'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
              </devices>
            </domain>

            """, DomainDefaults.Fill(stored));
    }

    [Fact]
    public void A_definition_without_os_devices_or_units_gets_them()
    {
        const string stored = """
            <domain type='kvm'>
              <name>bare</name>
              <metadata><x xmlns='urn:x'/></metadata>
              <memory>131072</memory>
              <on_poweroff>destroy</on_poweroff>
            </domain>
            """;
        Assert.Equal("""
            <domain type='kvm'>
              <name>bare</name>
              <metadata><x xmlns='urn:x'/></metadata>
              <memory unit='KiB'>131072</memory>
              <currentMemory unit='KiB'>131072</currentMemory>
              <vcpu placement='static'>1</vcpu>
              <os><type arch='x86_64' machine='pc'>hvm</type></os>
              <on_poweroff>destroy</on_poweroff>
              <devices/>
            </domain>
            """, DomainDefaults.Fill(stored));
    }

    [Fact]
    public void Missing_memory_is_reported_as_zero_where_libvirt_puts_it()
    {
        string filled = DomainDefaults.Fill("<domain type='kvm'><name>m</name><uuid>6f1b8d52-3a44-4a1e-9d0e-5b7c2f9e4a10</uuid></domain>");
        Assert.Equal("<domain type='kvm'><name>m</name><uuid>6f1b8d52-3a44-4a1e-9d0e-5b7c2f9e4a10</uuid>"
            + "<memory unit='KiB'>0</memory><currentMemory unit='KiB'>0</currentMemory><vcpu placement='static'>1</vcpu>"
            + "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices/></domain>", filled);
    }

    [Fact]
    public void Current_memory_follows_memory_and_a_type_without_arch_gets_it_first()
    {
        string filled = DomainDefaults.Fill("<domain type='kvm'><name>m</name><memory unit='GiB'>2</memory><vcpu>4</vcpu>"
            + "<os><type machine='q35'>hvm</type><boot dev='hd'/></os><devices/></domain>");
        Assert.Equal("<domain type='kvm'><name>m</name><memory unit='GiB'>2</memory><currentMemory unit='KiB'>2097152</currentMemory>"
            + "<vcpu>4</vcpu><os><type arch='x86_64' machine='q35'>hvm</type><boot dev='hd'/></os><devices/></domain>", filled);
    }

    [Fact]
    public void An_os_without_type_gets_one_before_its_other_children()
    {
        const string stored = """
            <domain type='kvm'>
              <name>k</name>
              <memory unit='KiB'>1024</memory>
              <currentMemory unit='KiB'>512</currentMemory>
              <vcpu>1</vcpu>
              <os>
                <kernel>/boot/vmlinuz</kernel>
              </os>
              <devices/>
            </domain>
            """;
        Assert.Equal(stored.Replace("<os>\n    <kernel>", "<os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n    <kernel>"),
            DomainDefaults.Fill(stored));
    }

    [Fact]
    public void A_complete_definition_comes_back_as_the_same_text()
    {
        // Double quotes would become single ones if the text were written again: it is not.
        const string stored = "<domain type=\"kvm\">\n  <name>full</name>\n  <memory unit=\"MiB\">512</memory>\n"
            + "  <currentMemory unit=\"MiB\">256</currentMemory>\n  <vcpu>2</vcpu>\n"
            + "  <os><type arch=\"aarch64\" machine=\"virt\">hvm</type></os>\n  <devices/>\n</domain>\n";
        Assert.Same(stored, DomainDefaults.Fill(stored));
    }
}
