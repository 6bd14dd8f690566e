using System.Text.Json;

namespace Interop.Tests.Reliability;

public class SoakTests
{
    /// <summary>The CLI's soak, bounded to a few seconds: resident memory must stay flat while the Functions run in DisposeScopes.</summary>
    [Fact]
    public void A_bounded_soak_keeps_resident_and_managed_memory_flat()
    {
        string json = ChildProcess.Run(ChildProcess.BuiltDll("Interop.Cli", "Interop.Cli"), TimeSpan.FromMinutes(3), "soak", "--seconds", "8", "--json");
        using var result = JsonDocument.Parse(json);
        var root = result.RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean(), json);
        Assert.True(root.GetProperty("iterationsPerFunction").GetInt64() > 0, json);
        Assert.True(root.GetProperty("rssEndBytes").GetInt64() - root.GetProperty("rssStartBytes").GetInt64() < 50L << 20, json);
    }
}
