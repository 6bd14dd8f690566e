using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Interop.ML;

/// <summary>
/// What both trainers take from ML.NET's environment, the way ML.NET's own trainers do: a host registered with it
/// (log and progress channels, and a random source that <c>new MLContext(seed)</c> fixes), cancellation, and the
/// reading of the training, held-out and validation rows.
/// </summary>
internal sealed class TrainerHost
{
    public TrainerHost(IHostEnvironment environment, string name)
    {
        ArgumentNullException.ThrowIfNull(environment);
        Host = environment.Register(name);
        Name = name;
    }

    public IHost Host { get; }

    public string Name { get; }

    /// <summary>The run's seed: the option when set, else the next number of the host's random source.</summary>
    public int Seed(int? option) => option ?? Host.Rand.Next();

    /// <summary>Throws <see cref="OperationCanceledException"/> once the token or the MLContext has cancelled training.</summary>
    public Action Check(CancellationToken token) => () =>
    {
        token.ThrowIfCancellationRequested();
        if (MlNetInternals.IsCanceled(Host))
            throw new OperationCanceledException($"{Name}: the MLContext cancelled training.");
    };

    /// <summary>
    /// The training rows and the validation rows: <see cref="ModuleTrainerOptions.ValidationSet"/> when given, else the
    /// held-out fraction <paramref name="holdOut"/> of the input (none when it is 0), which then takes the place of
    /// the validation set. <paramref name="observe"/> sees the training rows.
    /// </summary>
    public (TrainingRows Train, TrainingRows? Validation) ReadRows(IDataView input, ModuleTrainerOptions options, double holdOut, int seed,
        Action<Tensor, Tensor>? observe, Action check)
    {
        Func<DataViewRowId, bool>? training = null, heldOut = null;
        bool useValidationSet = options.ValidationSet is not null && holdOut == options.HoldOutFraction;
        if (!useValidationSet && holdOut > 0)
        {
            ulong threshold = (ulong)(holdOut * ulong.MaxValue);
            training = id => Mix(id, seed) >= threshold;
            heldOut = id => Mix(id, seed) < threshold;
        }
        var train = TrainingRows.Read(input, options.FeatureColumnName, options.LabelColumnName, options.NaNPolicy, training, observe, check);
        try
        {
            if (train.Count == 0)
                throw new InvalidOperationException($"{Name}: the training data has no rows{(options.NaNPolicy == NaNPolicy.SkipRow ? " without NaN" : "")}.");
            var validation = useValidationSet
                ? TrainingRows.Read(options.ValidationSet!, options.FeatureColumnName, options.LabelColumnName, options.NaNPolicy, null, null, check)
                : heldOut is null ? null : TrainingRows.Read(input, options.FeatureColumnName, options.LabelColumnName, options.NaNPolicy, heldOut, null, check);
            return (train, validation);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>A well-mixed 64-bit hash of a row id and the seed (SplitMix64's finaliser).</summary>
    private static ulong Mix(DataViewRowId id, int seed)
    {
        ulong z = id.Low ^ (id.High * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)seed << 32);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
