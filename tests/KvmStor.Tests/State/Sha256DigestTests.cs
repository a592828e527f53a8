using System.Security.Cryptography;
using System.Text;
using KvmStor.State;

namespace KvmStor.Tests.State;

/// <summary>
/// NameLock's managed SHA-256 gives .NET's (OpenSSL's) digest for every length around the block and padding
/// boundaries, so lock offsets are those of earlier kvmstor versions.
/// </summary>
public sealed class Sha256DigestTests
{
    [Fact]
    public void TheStandardsExampleHasItsDigest()
    {
        Span<byte> digest = stackalloc byte[Sha256Digest.Size];
        Sha256Digest.Hash("abc"u8, digest);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Convert.ToHexStringLower(digest));
    }

    [Fact]
    public void EveryLengthUpTo300MatchesTheLibrarysDigest()
    {
        var random = new Random(20261206);
        Span<byte> digest = stackalloc byte[Sha256Digest.Size];
        for (int length = 0; length <= 300; length++)
        {
            var input = new byte[length];
            random.NextBytes(input);
            Sha256Digest.Hash(input, digest);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(input)), Convert.ToHexStringLower(digest));
        }
    }

    [Fact]
    public void LockOffsetsAreThoseOfTheNamesSha256()
    {
        foreach (string name in new[] { "", "default", "pool/vol.qcow2", "ünïcödé", new string('x', 5000) })
        {
            long expected = (long)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name))) >> 2);
            Assert.Equal(expected, NameLock.OffsetOf(name));
        }
    }
}
