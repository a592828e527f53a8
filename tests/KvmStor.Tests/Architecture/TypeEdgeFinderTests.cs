using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace KvmStor.Tests.Architecture;

/// <summary>The edge finder on a synthetic case (Samples.Low using Samples.High in this very assembly), so the
/// layering test is known to be able to fail.</summary>
public class TypeEdgeFinderTests
{
    const string Samples = "KvmStor.Tests.Architecture.Samples";

    static readonly LayerRules HighOverLow = new(new Dictionary<string, string[]>
    {
        [Samples + ".High"] = [Samples + ".Low"],
        [Samples + ".Low"] = [],
    });

    static IReadOnlyList<TypeEdge> WrongWay() =>
        HighOverLow.WrongWayEdges(TypeEdgeFinder.Find(typeof(TypeEdgeFinderTests).Assembly.Location));

    [Fact]
    public void FindsEveryHiddenUpwardUseAndNothingElse()
    {
        string Low(string type) => $"{Samples}.Low.{type}";
        string High(string type) => $"{Samples}.High.{type}";
        TypeEdge[] expected =
        [
            new(Low("CallsUp"), High("Service")),
            new(Low("CatchesUp"), High("Failure")),
            new(Low("ConstructsUpInALambda"), High("Constructed")),
            new(Low("DerivesUp"), High("Base")),
            new(Low("HoldsUp"), High("Thing")),
            new(Low("ListsUp"), High("Thing")),
            new(Low("NamesUp"), High("Marker")),
            new(Low("ReadsUp"), High("Settings")),
        ];
        Assert.Equal(expected.Select(e => e.ToString()), WrongWay().Select(e => e.ToString()));
    }

    [Fact]
    public unsafe void ASwitchInABodyIsDecoded()
    {
        // A switch's operand is a count then that many targets; misreading it would shift every later token.
        // switch (2 targets), ldc.i4.0, call 0x06000001, ret
        byte[] il = [0x45, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16, 0x28, 0x01, 0, 0, 0x06, 0x2A];
        fixed (byte* start = il)
        {
            var tokens = TypeEdgeFinder.IlTokens(new BlobReader(start, il.Length));
            Assert.Equal([MetadataTokens.EntityHandle(0x06000001)], tokens);
        }
    }
}
