using System.Globalization;
using System.Xml.Linq;

namespace KvmStor.Guests;

/// <summary>
/// A guest definition as libvirt's qemu driver reports a defined domain: libvirt fills in, on define, the parts every
/// domain has, and clients that parse domain XML (Cockpit's machines page reads &lt;currentMemory&gt;, &lt;vcpu&gt;,
/// &lt;os&gt;&lt;type&gt; and &lt;devices&gt; without checking they exist) rely on them. kvmstor keeps the definition as
/// given, so the same parts are added when the XML is sent: only where they are missing, as libvirt 9.0 writes them,
/// with the machine and architecture kvmstor's own qemu command line uses (<see cref="QemuArgvBuilder"/>).
/// What is present keeps its value (a size without a unit gets its implied unit='KiB' named).
/// </summary>
public static class DomainDefaults
{
    /// <summary>The machine type when none is given: qemu's alias for its newest i440fx machine, as kvmstor's qemu command line uses it.</summary>
    public const string Machine = "pc";

    /// <summary>The architecture when none is given: kvmstor's guests run on qemu-system-x86_64.</summary>
    public const string Arch = "x86_64";

    // libvirt's order of the top-level elements that come before the ones added here (domain_conf.c's formatter).
    private static readonly string[] BeforeMemory = ["name", "uuid", "genid", "title", "description", "metadata", "maxMemory"];
    private static readonly string[] BeforeVcpu = [.. BeforeMemory, "memory", "currentMemory", "blkiotune", "memtune", "memoryBacking"];
    private static readonly string[] BeforeOs = [.. BeforeVcpu, "vcpu", "vcpus", "iothreads", "iothreadids", "cputune", "numatune", "resource", "sysinfo", "bootloader", "bootloader_args"];

    /// <summary>
    /// <paramref name="storedXml"/> with the missing parts filled in; the same text, unchanged, when nothing is missing.
    /// </summary>
    public static string Fill(string storedXml)
    {
        var domain = DomainDocument.Parse(storedXml);
        return Fill(domain) ? domain.ToString() : storedXml;
    }

    /// <summary>Adds the missing parts to <paramref name="domain"/>; whether anything was added.</summary>
    public static bool Fill(DomainDocument domain)
    {
        var root = domain.Root;
        bool changed = false;
        if (root.Element("memory") is null)
        {
            // libvirt refuses a domain without memory; kvmstor stores it and reports 0 (virDomainGetMaxMemory says the same).
            InsertAfterLast(root, BeforeMemory, new XElement("memory", new XAttribute("unit", "KiB"), "0"));
            changed = true;
        }
        // Without a unit the size is in KiB; libvirt always names the unit, and clients convert from it.
        foreach (var size in new[] { root.Element("memory"), root.Element("currentMemory") })
            if (size is not null && size.Attribute("unit") is null)
            {
                size.SetAttributeValue("unit", "KiB");
                changed = true;
            }
        if (root.Element("currentMemory") is null)
        {
            root.Element("memory")!.AddAfterSelfIndented(
                new XElement("currentMemory", new XAttribute("unit", "KiB"), domain.CurrentMemoryKiB.ToString(CultureInfo.InvariantCulture)));
            changed = true;
        }
        if (root.Element("vcpu") is null)
        {
            InsertAfterLast(root, BeforeVcpu, new XElement("vcpu", new XAttribute("placement", "static"), "1"));
            changed = true;
        }
        changed |= FillOs(root);
        if (root.Element("devices") is null)
        {
            AppendLast(root, new XElement("devices"));
            changed = true;
        }
        return changed;
    }

    private static bool FillOs(XElement root)
    {
        var os = root.Element("os");
        if (os is null)
        {
            InsertAfterLast(root, BeforeOs, new XElement("os", OsType()));
            return true;
        }
        var type = os.Element("type");
        if (type is null)
        {
            if (os.Elements().FirstOrDefault() is { } first) first.AddBeforeSelfIndented(OsType());
            else os.Add(OsType());
            return true;
        }
        bool changed = false;
        // libvirt writes arch before machine.
        if (type.Attribute("arch") is null)
        {
            var attributes = type.Attributes().ToList();
            type.ReplaceAttributes(new XAttribute("arch", Arch), attributes);
            changed = true;
        }
        if (type.Attribute("machine") is null)
        {
            var attributes = type.Attributes().ToList();
            int afterArch = attributes.FindIndex(a => a.Name == "arch") + 1;
            attributes.Insert(afterArch, new XAttribute("machine", Machine));
            type.ReplaceAttributes(attributes);
            changed = true;
        }
        return changed;
    }

    private static XElement OsType() =>
        new("type", new XAttribute("arch", Arch), new XAttribute("machine", Machine), "hvm");

    /// <summary>Puts <paramref name="element"/> after the last child named in <paramref name="before"/> (first when none is there).</summary>
    private static void InsertAfterLast(XElement root, string[] before, XElement element)
    {
        var anchor = root.Elements().LastOrDefault(e => e.Name.Namespace == XNamespace.None && before.Contains(e.Name.LocalName));
        if (anchor is not null) anchor.AddAfterSelfIndented(element);
        else if (root.Elements().FirstOrDefault() is { } first) first.AddBeforeSelfIndented(element);
        else AppendLast(root, element);
    }

    private static void AppendLast(XElement root, XElement element)
    {
        if (root.Elements().LastOrDefault() is { } last) last.AddAfterSelfIndented(element);
        else root.Add(new XText("\n  "), element, new XText("\n"));
    }

    /// <summary>Inserts a sibling after <paramref name="anchor"/>, on its own line at the anchor's indentation.</summary>
    private static void AddAfterSelfIndented(this XElement anchor, XElement element)
    {
        if (IndentOf(anchor) is { } indent) anchor.AddAfterSelf(new XText("\n" + indent), element);
        else anchor.AddAfterSelf(element);
    }

    /// <summary>Inserts a sibling before <paramref name="anchor"/>, on its own line at the anchor's indentation.</summary>
    private static void AddBeforeSelfIndented(this XElement anchor, XElement element)
    {
        if (IndentOf(anchor) is { } indent) anchor.AddBeforeSelf(element, new XText("\n" + indent));
        else anchor.AddBeforeSelf(element);
    }

    /// <summary>The whitespace before an element that starts its own line; null when it shares a line with what precedes it.</summary>
    private static string? IndentOf(XElement element)
    {
        if (element.PreviousNode is not XText text) return null;
        int newline = text.Value.LastIndexOf('\n');
        return newline >= 0 && string.IsNullOrWhiteSpace(text.Value[newline..]) ? text.Value[(newline + 1)..] : null;
    }
}
