namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// Which blocks of a thin LUN are deallocated (and so read as zeros), asked lazily with GET LBA STATUS. Only a LUN
/// with LBPME and LBPRZ is asked: anywhere else nothing is known to be zero, and every block counts as mapped.
/// </summary>
internal sealed class IscsiLbaMap(IscsiSession session, IscsiLunIo io)
{
    private readonly List<LbaStatusExtent> _known = [];
    private bool _unsupported = !io.UnmapsWhenZeroing;

    /// <summary>How many blocks from <paramref name="lba"/> are known to read as zeros (0: mapped or unknown).</summary>
    public ulong ZeroBlocksAt(ulong lba) => Find(lba) is { Deallocated: true } e ? e.Lba + e.Blocks - lba : 0;

    /// <summary>How many blocks from <paramref name="lba"/> hold data (when unknown: all the rest of the LUN).</summary>
    public ulong DataBlocksAt(ulong lba) => Find(lba) is { } e ? (e.Deallocated ? 0 : e.Lba + e.Blocks - lba) : io.Capacity.Blocks - lba;

    private LbaStatusExtent? Find(ulong lba)
    {
        if (_unsupported || lba >= io.Capacity.Blocks) return null;
        foreach (var e in _known)
            if (lba >= e.Lba && lba < e.Lba + e.Blocks) return e;
        var answer = IscsiLuns.LbaStatus(session, io.Lun, lba);
        if (answer is null || answer.Count == 0 || answer[0].Lba > lba || answer[0].Lba + answer[0].Blocks <= lba)
        {
            _unsupported = true; // the target gave no usable answer: treat the LUN as fully mapped
            return null;
        }
        _known.Clear();
        _known.AddRange(answer.Where(e => e.Blocks > 0));
        return Find(lba);
    }
}
