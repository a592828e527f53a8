using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images.Qcow2;

/// <summary>Positional reads and writes on the image file; reads past end of file yield zeros (qcow2 files may be short).</summary>
internal static class Qcow2FileIo
{
    public static void ReadExact(SafeFileHandle file, long offset, Span<byte> buffer)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = RandomAccess.Read(file, buffer[done..], offset + done);
            if (n == 0) { buffer[done..].Clear(); return; }
            done += n;
        }
    }

    public static void Write(SafeFileHandle file, long offset, ReadOnlySpan<byte> data) => RandomAccess.Write(file, data, offset);

    public static ulong ReadU64(SafeFileHandle file, long offset)
    {
        Span<byte> b = stackalloc byte[8];
        ReadExact(file, offset, b);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    public static void WriteU64(SafeFileHandle file, long offset, ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        Write(file, offset, b);
    }

    public static void WriteU32(SafeFileHandle file, long offset, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        Write(file, offset, b);
    }

    /// <summary>Writes zeros over a range in bounded chunks.</summary>
    public static void WriteZeros(SafeFileHandle file, long offset, long length)
    {
        byte[] zeros = new byte[(int)Math.Min(length, 1 << 20)];
        while (length > 0)
        {
            int n = (int)Math.Min(length, zeros.Length);
            Write(file, offset, zeros.AsSpan(0, n));
            offset += n;
            length -= n;
        }
    }

    public static ulong[] ReadTable(SafeFileHandle file, long offset, int entries)
    {
        byte[] raw = new byte[entries * 8];
        ReadExact(file, offset, raw);
        var table = new ulong[entries];
        for (int i = 0; i < entries; i++) table[i] = BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(i * 8));
        return table;
    }

    public static void WriteTable(SafeFileHandle file, long offset, ReadOnlySpan<ulong> table, int padToBytes = 0)
    {
        byte[] raw = new byte[Math.Max(table.Length * 8, padToBytes)];
        for (int i = 0; i < table.Length; i++) BinaryPrimitives.WriteUInt64BigEndian(raw.AsSpan(i * 8), table[i]);
        Write(file, offset, raw);
    }
}
