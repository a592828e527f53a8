using KvmStor.Model;

namespace KvmStor.Backends.Logical;

/// <summary>
/// Volume groups and their physical volumes from "pvs --noheadings -o pv_name,vg_name", one source per VG in order of
/// first appearance. PVs in no VG print a single field and are left out, as libvirt leaves them out.
/// </summary>
public static class PvsReport
{
    public static IReadOnlyList<PoolSource> Parse(string output)
    {
        var groups = new List<(string Vg, List<string> Devices)>();
        foreach (var rawLine in output.Split('\n'))
        {
            var f = rawLine.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 2) continue;
            var group = groups.Find(g => g.Vg == f[1]);
            if (group.Devices is null)
            {
                group = (f[1], []);
                groups.Add(group);
            }
            group.Devices.Add(f[0]);
        }
        return groups.Select(g => new PoolSource
        {
            Name = g.Vg,
            Format = "lvm2",
            Devices = g.Devices.Select(d => new PoolSourceDevice { Path = d }).ToList(),
        }).ToList();
    }
}
