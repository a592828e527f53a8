namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>Waiting for a condition with a generous bound (the machine may be loaded): never a fixed sleep as the assertion.</summary>
internal static class Deadline
{
    public static void WaitUntil(TimeSpan limit, string what, Func<bool> condition)
    {
        var until = DateTime.UtcNow + limit;
        while (true)
        {
            if (condition()) return;
            if (DateTime.UtcNow > until) throw new TimeoutException($"waited {limit.TotalSeconds:0} s for {what}");
            Thread.Sleep(100);
        }
    }
}
