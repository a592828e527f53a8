namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// Block I/O on one disk LUN of a logged-in session: reads, writes and zeroing. Zeroing prefers WRITE SAME(16) of a
/// zero block (with UNMAP when the LUN is thin and unmapped blocks read as zeros, so space is given back), and falls
/// back to plain writes of zeros when the target refuses WRITE SAME.
/// </summary>
internal sealed class IscsiLunIo(IscsiSession session, int lun, ScsiCapacity capacity)
{
    /// <summary>Bytes per plain-zero WRITE when the target refuses WRITE SAME.</summary>
    private const int ZeroWriteBytes = 4 << 20;
    private const int WriteSameBytes = 64 << 20;

    private bool _writeSameRefused;
    private byte[]? _zeros;

    public IscsiSession Session => session;
    public ScsiCapacity Capacity => capacity;
    public int Lun => lun;
    public uint BlockSize => capacity.BlockSize;

    /// <summary>Zeroing deallocates too: the LUN is thin and its unmapped blocks are known to read as zeros.</summary>
    public bool UnmapsWhenZeroing => capacity.ProvisioningManagement && capacity.UnmappedReadsZero;

    public void Read(ulong lba, byte[] buffer, int offset, int bytes)
    {
        uint blocks = Blocks(bytes);
        session.Require(session.Execute("READ(16)", lun, ScsiCommands.Read16(lba, blocks), LibIscsi.XferRead, buffer, offset, bytes), "READ(16)", lun);
    }

    public void Write(ulong lba, byte[] buffer, int offset, int bytes)
    {
        uint blocks = Blocks(bytes);
        session.Require(session.Execute("WRITE(16)", lun, ScsiCommands.Write16(lba, blocks), LibIscsi.XferWrite, buffer, offset, bytes), "WRITE(16)", lun);
    }

    /// <summary>Makes <paramref name="blocks"/> blocks from <paramref name="lba"/> read as zeros.</summary>
    public void Zero(ulong lba, ulong blocks, Action<ulong>? done = null)
    {
        ulong perCommand = Math.Max(1, (ulong)WriteSameBytes / BlockSize);
        var oneBlock = new byte[BlockSize];
        while (blocks > 0)
        {
            ulong n = Math.Min(blocks, perCommand);
            if (!_writeSameRefused)
            {
                var result = session.Execute("WRITE SAME(16)", lun, ScsiCommands.WriteSame16(lba, (uint)n, UnmapsWhenZeroing),
                    LibIscsi.XferWrite, oneBlock, 0, oneBlock.Length);
                if (result.IllegalRequest) _writeSameRefused = true;
                else session.Require(result, "WRITE SAME(16)", lun);
            }
            if (_writeSameRefused) WriteZeros(lba, n);
            lba += n;
            blocks -= n;
            done?.Invoke(n);
        }
    }

    private void WriteZeros(ulong lba, ulong blocks)
    {
        _zeros ??= new byte[ZeroWriteBytes - ZeroWriteBytes % BlockSize];
        ulong perCommand = (ulong)_zeros.Length / BlockSize;
        while (blocks > 0)
        {
            ulong n = Math.Min(blocks, perCommand);
            Write(lba, _zeros, 0, (int)(n * BlockSize));
            lba += n;
            blocks -= n;
        }
    }

    private uint Blocks(int bytes)
    {
        if (bytes % BlockSize != 0) throw StorageException.Internal($"transfer of {bytes} bytes is not a whole number of {BlockSize}-byte blocks");
        return (uint)(bytes / BlockSize);
    }
}
