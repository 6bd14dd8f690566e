using Interop.ML;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.Tests.ML;

/// <summary>The decay trainer y = k · exp(−β x) on synthetic curves.</summary>
public class ExponentialDecayTests
{
    [Fact]
    public void Recovers_beta_and_k_within_two_percent_and_scores_the_curve()
    {
        const double beta = 0.8, k = 2.5;
        var context = new MLContext(seed: 0);
        var data = SampleData.DecayCurve(512, beta, k, noise: 0.01, seed: 3);
        var model = context.Regression.Trainers.ExponentialDecay().Fit(data);
        var learned = model.Model;

        Assert.True(Math.Abs(learned.Beta - beta) <= 0.02 * beta, $"β: learned {learned.Beta}, expected {beta} within 2%");
        Assert.True(Math.Abs(learned.K - k) <= 0.02 * k, $"k: learned {learned.K}, expected {k} within 2%");

        var x = data.GetColumn<VBuffer<float>>("Features").Select(v => v.GetItemOrDefault(0)).ToArray();
        var score = model.Transform(data).GetColumn<float>("Score").ToArray();
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(learned.K * Math.Exp(-learned.Beta * x[i]), score[i], 4);
    }

    [Fact]
    public void Mini_batch_Adam_recovers_the_curve_too()
    {
        var data = SampleData.DecayCurve(512, beta: 0.8, k: 2.5, noise: 0.01, seed: 3);
        var model = new MLContext(seed: 0).Regression.Trainers.ExponentialDecay(new ExponentialDecayTrainer.Options
        {
            NumberOfEpochs = 60,
            BatchSize = 32,
            Optimizer = TrainingOptimizer.Adam,
            LearningRate = 0.05,
        }).Fit(data).Model;
        Assert.True(Math.Abs(model.Beta - 0.8) <= 0.02 * 0.8, $"β: learned {model.Beta}");
        Assert.True(Math.Abs(model.K - 2.5) <= 0.02 * 2.5, $"k: learned {model.K}");
    }

    [Fact]
    public void Label_of_text_is_rejected()
    {
        var context = new MLContext();
        var data = context.Data.LoadFromEnumerable([new Row { Features = 1, Label = "high" }]);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => context.Regression.Trainers.ExponentialDecay().Fit(data));
        Assert.Contains("Label column 'Label' must be a Single or Double scalar; got String", error.Message);
    }

    private sealed class Row
    {
        public float Features { get; set; }
        public string Label { get; set; } = "";
    }
}
