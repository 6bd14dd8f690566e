using ScottPlot;

namespace Interop.Cli.Plotting;

/// <summary>The training loss per epoch as a PNG line chart, rendered headless by ScottPlot (SkiaSharp underneath).</summary>
internal static class LossPlot
{
    public static void Save(IReadOnlyList<double> losses, string title, string path, int width = 800, int height = 500)
    {
        var plot = new Plot();
        var epochs = Enumerable.Range(1, losses.Count).Select(epoch => (double)epoch).ToArray();
        var line = plot.Add.Scatter(epochs, losses.ToArray());
        line.MarkerSize = 0;
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel("mean training loss");
        plot.SavePng(path, width, height);
    }
}
