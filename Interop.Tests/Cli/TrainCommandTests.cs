using System.Text.Json;
using Interop.Cli;
using Interop.Cli.Commands;
using Interop.Cli.Plotting;
using Interop.Modules;
using static TorchSharp.torch;

namespace Interop.Tests.Cli;

/// <summary>The train command end to end, and ScottPlot rendering in a process where TorchSharp (and its SkiaSharp) is loaded.</summary>
public class TrainCommandTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    [Fact]
    public void Loss_plot_renders_a_png_next_to_torchsharp()
    {
        using var module = new Exponential();
        using var _ = module.call(ones(2));
        string path = Path.Combine(Path.GetTempPath(), $"interop-loss-{Guid.NewGuid():N}.png");
        try
        {
            LossPlot.Save([1.0, 0.5, 0.3, 0.25], "test", path, width: 320, height: 200);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(PngSignature, bytes[..8]);
            Assert.True(bytes.Length > 1000, $"PNG of {bytes.Length} bytes");
            // IHDR holds the width and height, big-endian, at bytes 16 and 20.
            Assert.Equal(320, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
            Assert.Equal(200, System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Train_writes_the_model_and_the_plot_and_reports_json()
    {
        string directory = Path.Combine(Path.GetTempPath(), $"interop-train-{Guid.NewGuid():N}");
        try
        {
            var output = new StringWriter();
            int exit = CommandLine.Run(["train", "--json", "--epochs", "20", "--out", directory], output, TextWriter.Null, [new TrainCommand()]);
            Assert.Equal(0, exit);
            using var report = JsonDocument.Parse(output.ToString());
            var root = report.RootElement;
            Assert.True(root.GetProperty("accuracy").GetDouble() >= 0.93, output.ToString());
            Assert.Equal(4, root.GetProperty("k").GetArrayLength());
            Assert.True(File.Exists(root.GetProperty("modelPath").GetString()));
            Assert.Equal(PngSignature, File.ReadAllBytes(root.GetProperty("lossPlotPath").GetString()!)[..8]);
        }
        finally
        {
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
        }
    }
}
