using KvmStor.Cli;

namespace KvmStor.Tests.Cli;

public class InterruptSignalTests
{
    [Fact]
    public void CtrlCIsOnlyTakenWhileSomeoneListens()
    {
        using var signal = new InterruptSignal();
        Assert.False(signal.TryInterrupt());
        Assert.False(signal.Token.IsCancellationRequested);

        using (signal.Listen())
        {
            Assert.True(signal.TryInterrupt());
            Assert.True(signal.Token.IsCancellationRequested);
            // A second Ctrl+C is left to the default handler, which ends the process.
            Assert.False(signal.TryInterrupt());
        }
    }

    [Fact]
    public void ListeningEndsWithTheScope()
    {
        using var signal = new InterruptSignal();
        var scope = signal.Listen();
        scope.Dispose();
        scope.Dispose();
        Assert.False(signal.TryInterrupt());
    }
}
