using System.Xml;
using System.Xml.Linq;

namespace KvmStor.Guests;

/// <summary>
/// A guest definition (libvirt domain XML) held as the document it was read from. kvmstor reads the name, uuid,
/// memory, vcpus, boot settings and disks, and edits only &lt;devices&gt;&lt;disk&gt;; every other node stays exactly
/// as it was, including comments, unknown elements, foreign namespaces and the whitespace of untouched parts.
/// </summary>
public sealed class DomainDocument
{
    private readonly XDocument _document;

    private DomainDocument(XDocument document) => _document = document;

    public XElement Root => _document.Root!;

    /// <summary>Parses domain XML: no DTDs or entities, a &lt;domain type='…'&gt; root with a valid name.</summary>
    public static DomainDocument Parse(string xml)
    {
        var document = Load(xml);
        var root = document.Root!;
        if (root.Name.LocalName != "domain" || root.Name.Namespace != XNamespace.None)
            throw StorageException.Xml($"unexpected root element <{root.Name.LocalName}>, expecting <domain>");
        if (root.Attribute("type") is null)
            throw StorageException.Xml("missing domain type attribute");
        var parsed = new DomainDocument(document);
        string name = parsed.Name;
        if (name.Length == 0)
            throw StorageException.Xml("missing domain name information");
        if (name.Contains('/') || name.Any(char.IsControl))
            throw StorageException.Xml($"name {name} cannot contain '/'");
        if (parsed.UuidText is { } uuid && !Guid.TryParse(uuid, out _))
            throw StorageException.Xml("malformed uuid element");
        foreach (var disk in parsed.Disks) _ = disk; // reading every disk validates its required parts
        return parsed;
    }

    private static XDocument Load(string xml) => Xml.SafeXml.Parse(xml, "domain_definition", preserveWhitespace: true);

    public string Name => Root.Element("name")?.Value.Trim() ?? "";

    private string? UuidText => Root.Element("uuid")?.Value.Trim();

    public Guid? Uuid => UuidText is { } text && Guid.TryParse(text, out var g) ? g : null;

    public string Type => Root.Attribute("type")!.Value;

    /// <summary>Memory in KiB (the &lt;memory&gt; element with its unit; KiB when none is given).</summary>
    public ulong MemoryKiB => Root.Element("memory") is { } memory ? DomainScaledInteger.ToKiB(memory) : 0;

    /// <summary>The balloon's start size in KiB (&lt;currentMemory&gt;), the full memory when none is given.</summary>
    public ulong CurrentMemoryKiB => Root.Element("currentMemory") is { } current ? DomainScaledInteger.ToKiB(current) : MemoryKiB;

    /// <summary>The guest's OS type (&lt;os&gt;&lt;type&gt;: hvm for every qemu guest) and its architecture when given.</summary>
    public string OsType => Root.Element("os")?.Element("type")?.Value.Trim() is { Length: > 0 } type ? type : "hvm";
    public string? Arch => Root.Element("os")?.Element("type")?.Attribute("arch")?.Value;

    public int Vcpus => int.TryParse(Root.Element("vcpu")?.Value.Trim(), out int n) && n > 0 ? n : 1;

    public string? Machine => Root.Element("os")?.Element("type")?.Attribute("machine")?.Value;
    public string? Kernel => Root.Element("os")?.Element("kernel")?.Value.Trim();
    public string? Initrd => Root.Element("os")?.Element("initrd")?.Value.Trim();
    public string? Cmdline => Root.Element("os")?.Element("cmdline")?.Value;

    private XElement? Devices => Root.Element("devices");

    /// <summary>The disks, in document order.</summary>
    public IReadOnlyList<DiskDefinition> Disks =>
        Devices?.Elements("disk").Select(DiskDefinition.FromElement).ToList() ?? [];

    /// <summary>Gives the definition a uuid when it has none (libvirt does the same on define).</summary>
    public void EnsureUuid(Guid uuid)
    {
        if (Root.Element("uuid") is not null) return;
        var name = Root.Element("name")!;
        name.AddAfterSelf(new XElement("uuid", uuid.ToString()));
        if (name.PreviousNode is XText indent) name.AddAfterSelf(new XText(indent.Value));
    }

    /// <summary>Appends a disk after the last disk (or first in &lt;devices&gt;), indented like its neighbours.</summary>
    public void AddDisk(XElement disk)
    {
        var devices = Devices;
        if (devices is null)
        {
            AppendIndentedChild(Root, new XElement("devices"));
            devices = Devices!;
        }
        var lastDisk = devices.Elements("disk").LastOrDefault();
        string indent = lastDisk is not null ? IndentOf(lastDisk) : ChildIndent(devices);
        var formatted = Indent(disk, indent);
        if (lastDisk is not null)
        {
            lastDisk.AddAfterSelf(formatted);
            lastDisk.AddAfterSelf(new XText("\n" + indent));
        }
        else
        {
            var emulator = devices.Element("emulator");
            if (emulator is not null)
            {
                emulator.AddAfterSelf(formatted);
                emulator.AddAfterSelf(new XText("\n" + indent));
            }
            else AppendIndentedChild(devices, formatted, indent);
        }
    }

    /// <summary>Removes a disk element with the whitespace that introduced it.</summary>
    public void RemoveDisk(XElement disk)
    {
        if (disk.PreviousNode is XText { Value: var ws } before && string.IsNullOrWhiteSpace(ws)) before.Remove();
        disk.Remove();
    }

    public XElement DiskElementAt(int index) => Devices!.Elements("disk").ElementAt(index);

    public override string ToString() => DomainXmlWriter.Write(_document);

    /// <summary>An element on its own, indented as libvirt prints a device (attach-disk --print-xml).</summary>
    public static string FormatElement(XElement element) => DomainXmlWriter.Write(new XDocument(Indent(element, "")));

    /// <summary>Adds an (already indented) element as the last child of <paramref name="parent"/>.</summary>
    private static void AppendIndentedChild(XElement parent, XElement child, string? indent = null)
    {
        indent ??= ChildIndent(parent);
        string closing = IndentOf(parent);
        if (parent.LastNode is XText trailing && string.IsNullOrWhiteSpace(trailing.Value))
        {
            trailing.AddBeforeSelf(new XText("\n" + indent));
            trailing.AddBeforeSelf(child);
        }
        else
        {
            parent.Add(new XText("\n" + indent), child, new XText("\n" + closing));
        }
    }

    /// <summary>The whitespace before an element on its line.</summary>
    private static string IndentOf(XElement element)
    {
        if (element.PreviousNode is XText text)
        {
            int newline = text.Value.LastIndexOf('\n');
            if (newline >= 0 && string.IsNullOrWhiteSpace(text.Value[newline..])) return text.Value[(newline + 1)..];
        }
        return "";
    }

    private static string ChildIndent(XElement parent)
    {
        var firstChild = parent.Elements().FirstOrDefault();
        return firstChild is not null ? IndentOf(firstChild) : IndentOf(parent) + "  ";
    }

    /// <summary>Copies an element built without whitespace and indents its children two spaces per level.</summary>
    private static XElement Indent(XElement element, string indent)
    {
        var copy = new XElement(element.Name, element.Attributes());
        // Whitespace between child elements is replaced by our own; text content of leaf elements is kept.
        var children = element.Nodes().Where(n => !(n is XText t && t is not XCData && string.IsNullOrWhiteSpace(t.Value) && element.HasElements)).ToList();
        if (children.All(n => n is XText)) { copy.Add(children); return copy; }
        foreach (var child in children)
        {
            copy.Add(new XText("\n" + indent + "  "));
            copy.Add(child is XElement e ? Indent(e, indent + "  ") : child);
        }
        copy.Add(new XText("\n" + indent));
        return copy;
    }
}
