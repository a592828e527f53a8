// Tiny layered code for TypeEdgeFinderTests: "Low" uses "High" in each way a wrong-way edge can hide in IL.
namespace KvmStor.Tests.Architecture.Samples.High
{
    public class Service { public static int Do() => 1; }
    public static class Settings { public static readonly int Limit = 3; }
    public class Thing { }
    public class Base { }
    public class Failure : Exception { }
    public class Marker { }
    public class Constructed { }

    /// <summary>Down is allowed: never reported.</summary>
    public static class UsesLow { public static int Call() => Low.CallsUp.Run(); }
}

namespace KvmStor.Tests.Architecture.Samples.Low
{
    /// <summary>Only a call in a method body: a MethodDef token, no TypeRef anywhere.</summary>
    public static class CallsUp { public static int Run() => High.Service.Do(); }

    /// <summary>Only a static field read in a body: a FieldDef token.</summary>
    public static class ReadsUp { public static int Run() => High.Settings.Limit; }

    /// <summary>Only inside a lambda: the closure is a nested type of its own, counted as this one.</summary>
    public static class ConstructsUpInALambda
    {
        public static Func<object> Run() => () => new High.Constructed();
    }

    public class HoldsUp { public High.Thing? Field; }

    public class DerivesUp : High.Base { }

    public static class CatchesUp
    {
        public static bool Run(Action action)
        {
            try { action(); return true; }
            catch (High.Failure) { return false; }
        }
    }

    /// <summary>Only a typeof in a body: an ldtoken.</summary>
    public static class NamesUp { public static Type Run() => typeof(High.Marker); }

    /// <summary>Only a generic argument of a local.</summary>
    public static class ListsUp
    {
        public static int Run()
        {
            var things = new List<High.Thing>();
            return things.Count;
        }
    }

    public static class Clean { public static int Run() => 42; }
}
