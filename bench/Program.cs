using System.Diagnostics;
using KvmStor.Bench;

// Side-by-side timings: the same work through kvmstor and through virsh (when a libvirt answers on
// storage:///system — start one with ../shared/tools/libvirt-ref-up.sh). Prints medians and ratios.
//   dotnet run -c Release --project bench [-- scenario...]
var kvmstor = Tools.KvmstorBinary();
var virsh = Tools.VirshIfAvailable();
Console.WriteLine($"kvmstor: {kvmstor}");
Console.WriteLine(virsh is null ? "virsh: not available (libvirt not running); kvmstor numbers only" : $"virsh: {string.Join(' ', virsh)}");
Console.WriteLine();

var selected = args.Length > 0 ? args.ToHashSet() : null;
try
{
    foreach (var scenario in Scenarios.All)
    {
        if (selected is not null && !selected.Contains(scenario.Name)) continue;
        scenario.Run(kvmstor, virsh);
    }
}
finally
{
    RbdScenarios.Shutdown(); // the Ceph fixture, if an RBD scenario started it
}
