using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Interop.ML;

/// <summary>The host environment behind a trainer catalog, so that trainers log to the user's MLContext.</summary>
internal static class CatalogEnvironment
{
    // ML.NET keeps a catalog's environment behind its internal IInternalCatalog interface; a trainer from another
    // assembly has no public way to it, so read the interface's one property by reflection.
    private static readonly PropertyInfo? Environment =
        typeof(TrainCatalogBase).Assembly.GetType("Microsoft.ML.Data.IInternalCatalog")?.GetProperty("Environment");

    public static IHostEnvironment Of(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return Environment?.GetValue(catalog) as IHostEnvironment
            ?? throw new InvalidOperationException(
                $"Could not find the environment behind {catalog.GetType().Name}; this version of Microsoft.ML is not supported.");
    }
}
