using KvmStor.State;

namespace KvmStor.Tests.State;

/// <summary>
/// Name locks through separate acquisitions in one process: each has its own open file description, and OFD locks
/// conflict between descriptions exactly as between processes (that is what makes them OFD locks), so these are the
/// two-process cases.
/// </summary>
public sealed class NameLockTests : IDisposable
{
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(300), Released = TimeSpan.FromSeconds(10);

    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LockFile => Path.Combine(_dir.Root, "run", "volumes.lock");

    /// <summary>Starts acquiring on another thread; the task completes once the lock is held.</summary>
    private Task<NameLock> Acquiring(params NameLockRequest[] names) => Task.Run(() => NameLock.Acquire(LockFile, names));

    private static void AssertWaitsUntilReleased(Task<NameLock> waiting, IDisposable holder)
    {
        Assert.False(waiting.Wait(Blocked), "the second lock was granted while the first was held");
        holder.Dispose();
        Assert.True(waiting.Wait(Released), "the second lock was not granted after the first was released");
        waiting.Result.Dispose();
    }

    [Fact]
    public void ExclusiveExcludesShared()
    {
        var holder = NameLock.Exclusive(LockFile, "p1\0disk.img");
        AssertWaitsUntilReleased(Acquiring(new NameLockRequest("p1\0disk.img", false)), holder);
    }

    [Fact]
    public void SharedExcludesExclusive()
    {
        var holder = NameLock.Shared(LockFile, "p1\0disk.img");
        AssertWaitsUntilReleased(Acquiring(new NameLockRequest("p1\0disk.img", true)), holder);
    }

    [Fact]
    public void ExclusiveExcludesExclusive()
    {
        var holder = NameLock.Exclusive(LockFile, "a");
        AssertWaitsUntilReleased(Acquiring(new NameLockRequest("a", true)), holder);
    }

    [Fact]
    public void SharedLocksCoexist()
    {
        using var first = NameLock.Shared(LockFile, "a");
        var second = Acquiring(new NameLockRequest("a", false));
        Assert.True(second.Wait(Released));
        second.Result.Dispose();
    }

    [Fact]
    public void DifferentNamesDoNotBlockEachOther()
    {
        using var first = NameLock.Exclusive(LockFile, "p1\0a");
        var others = Acquiring(new NameLockRequest("p1\0b", true), new("p2\0a", true), new("p1\0A", true), new("a", true));
        Assert.True(others.Wait(Released));
        others.Result.Dispose();
    }

    [Fact]
    public void TheSameNameTwiceInOneAcquisitionIsLockedOnceInTheStrongerMode()
    {
        // A clone of a volume onto its own name asks for it exclusive and shared: it must neither wait on itself nor end
        // up holding it only shared.
        var both = Acquiring(new NameLockRequest("p1\0a", true), new("p1\0a", false));
        Assert.True(both.Wait(Released), "an acquisition waited on itself");
        var reader = Acquiring(new NameLockRequest("p1\0a", false));
        AssertWaitsUntilReleased(reader, both.Result);
    }

    [Fact]
    public void ReleasedWhenTheHolderIsDisposed()
    {
        NameLock.Exclusive(LockFile, "a").Dispose();
        using var again = NameLock.Exclusive(LockFile, "a");
    }

    [Fact]
    public void NothingIsCreatedPerName()
    {
        for (int i = 0; i < 200; i++)
            using (NameLock.Exclusive(LockFile, $"pool{i}\0volume{i}")) { }
        Assert.Equal(["volumes.lock"], Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(LockFile)!).Select(Path.GetFileName));
        Assert.Equal(0, new FileInfo(LockFile).Length); // the bytes locked are never written
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LockFile));
    }

    [Fact]
    public void ADirectoryRemovedBetweenLocksIsMadeAgain()
    {
        string directory = Path.GetDirectoryName(LockFile)!;
        Assert.False(Directory.Exists(directory));
        using (NameLock.Exclusive(LockFile, "a")) Assert.True(File.Exists(LockFile));
        Directory.Delete(directory, recursive: true);
        using (NameLock.Exclusive(LockFile, "a")) Assert.True(File.Exists(LockFile));
    }

    [Fact]
    public void OffsetsAreStableDistinctAndBelowTwoToThe62()
    {
        Assert.Equal(NameLock.OffsetOf("p1\0disk.img"), NameLock.OffsetOf("p1\0disk.img"));
        var offsets = Enumerable.Range(0, 10_000).Select(i => NameLock.OffsetOf($"v{i}")).ToList();
        Assert.Equal(offsets.Count, offsets.Distinct().Count());
        Assert.All(offsets, o => Assert.InRange(o, 0, (1L << 62) - 1));
    }
}
