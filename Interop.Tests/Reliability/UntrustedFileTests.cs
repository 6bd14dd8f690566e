using Interop.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Interop.Tests.Reliability;

/// <summary>What loading a damaged or foreign state_dict does: see docs/untrusted-files.md.</summary>
public class UntrustedFileTests
{
    private static nn.Module<Tensor, Tensor> Model() => nn.Sequential(
        ("scale", new ComponentScaling(4)), ("softmax", new Softmax(beta: 1.5)), ("logsum", new LogSum(beta: 0.5)));

    private static byte[] Saved()
    {
        using var stream = new MemoryStream();
        var model = Model();
        using (no_grad())
            ((ComponentScaling)model.children().First()).k.copy_(tensor(new[] { 1f, 2, 3, 4 }));
        model.save(stream);
        return stream.ToArray();
    }

    private static double[] Parameters(nn.Module<Tensor, Tensor> model) =>
        model.parameters().SelectMany(p => p.detach().to(ScalarType.Float64).flatten().data<double>().ToArray()).ToArray();

    private static IEnumerable<int> Cuts(int length) => Enumerable.Range(0, length).Where(n => n % 5 == 0 || n > length - 16);

    [Fact]
    public void Every_truncation_of_a_saved_model_is_refused_and_leaves_the_module_unchanged()
    {
        byte[] saved = Saved();
        foreach (int length in Cuts(saved.Length))
        {
            var model = Model();
            var before = Parameters(model);
            var error = Assert.Throws<InvalidDataException>(() => model.load_all_or_nothing(new MemoryStream(saved[..length])));
            Assert.Contains("The module was left unchanged", error.Message);
            Assert.True(before.SequenceEqual(Parameters(model)), $"cut to {length} of {saved.Length} bytes: parameters changed");
        }
    }

    /// <summary>Why load_all_or_nothing exists: TorchSharp's own load applies the entries it read before failing.</summary>
    [Fact]
    public void TorchSharps_own_load_leaves_a_partly_loaded_module_when_the_file_is_cut()
    {
        byte[] saved = Saved();
        var partial = Cuts(saved.Length).Where(length =>
        {
            var model = Model();
            var before = Parameters(model);
            Assert.ThrowsAny<Exception>(() => model.load(new MemoryStream(saved[..length])));
            return !before.SequenceEqual(Parameters(model));
        });
        Assert.NotEmpty(partial);
    }

    [Fact]
    public void A_complete_file_loads_and_a_file_from_another_model_is_refused_by_name()
    {
        var model = Model();
        model.load_all_or_nothing(new MemoryStream(Saved()));
        Assert.Equal([1.0, 2, 3, 4], Parameters(model)[..4]);

        using var other = new MemoryStream();
        nn.Sequential(("exp", new Exponential())).save(other);
        var error = Assert.Throws<InvalidDataException>(() => Model().load_all_or_nothing(new MemoryStream(other.ToArray())));
        Assert.Contains("Mismatched state_dict sizes", error.Message);
    }

    [Fact]
    public void A_saved_file_on_disk_round_trips()
    {
        string path = Path.Combine(Path.GetTempPath(), $"interop-{Guid.NewGuid():N}.dat");
        try
        {
            File.WriteAllBytes(path, Saved());
            Assert.Equal([1.0, 2, 3, 4], Parameters(Model().load_all_or_nothing(path))[..4]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
