using System.Reflection;
using Microsoft.ML;

namespace Interop.ML;

/// <summary>The MLContext behind a trainer catalog, so that trainers log to the user's context.</summary>
internal static class CatalogEnvironment
{
    // ML.NET keeps a catalog's context behind its internal IInternalCatalog interface; a trainer from another
    // assembly has no public way to it, so read the interface's one property by reflection.
    private static readonly PropertyInfo? Environment =
        typeof(TrainCatalogBase).Assembly.GetType("Microsoft.ML.Data.IInternalCatalog")?.GetProperty("Environment");

    public static MLContext Of(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return Environment?.GetValue(catalog) as MLContext
            ?? throw new InvalidOperationException(
                $"Could not find the MLContext behind {catalog.GetType().Name}; this version of Microsoft.ML is not supported.");
    }
}
