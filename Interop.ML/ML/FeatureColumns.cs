using Microsoft.ML;
using Microsoft.ML.Data;

namespace Interop.ML;

/// <summary>The checks a trainer makes on its feature and label columns, on a schema (Fit) or on a schema shape (GetOutputSchema).</summary>
internal static class FeatureColumns
{
    /// <summary>
    /// The feature column's type, which must be a known-size vector of Single or Double, or when
    /// <paramref name="width"/> is 1 also a Single or Double scalar; with <paramref name="width"/> set, the vector has that many values.
    /// </summary>
    public static DataViewType Require(DataViewSchema schema, string name, int? width = null)
    {
        var type = ColumnSink.Find(schema, name).Type;
        bool ok = type switch
        {
            VectorDataViewType vector => vector.IsKnownSize && IsFloating(vector.ItemType) && (width is null || vector.Size == width),
            _ => width == 1 && IsFloating(type),
        };
        return ok ? type : throw new ArgumentOutOfRangeException(nameof(schema), $"Feature column '{name}' must be {Expected(width)}; got {type}.");
    }

    /// <summary>The same check on a schema shape, where vector sizes are unknown.</summary>
    public static void Require(SchemaShape schema, string name, int? width = null)
    {
        var column = Find(schema, name);
        bool ok = column.Kind switch
        {
            SchemaShape.Column.VectorKind.Vector => IsFloating(column.ItemType),
            SchemaShape.Column.VectorKind.Scalar => width == 1 && IsFloating(column.ItemType),
            _ => false,
        };
        if (!ok)
            throw new ArgumentOutOfRangeException(nameof(schema), $"Feature column '{name}' must be {Expected(width)}; got {Describe(column)}.");
    }

    /// <summary>The column of a schema shape named <paramref name="name"/>; the error lists the columns there are.</summary>
    public static SchemaShape.Column Find(SchemaShape schema, string name)
    {
        ArgumentNullException.ThrowIfNull(schema);
        foreach (var column in schema)
        {
            if (column.Name == name)
                return column;
        }
        throw new ArgumentOutOfRangeException(nameof(name), $"Column '{name}' not found in the data; its columns are: {string.Join(", ", schema.Select(c => c.Name))}.");
    }

    /// <summary>A vector type's item type, or the type itself.</summary>
    public static DataViewType ItemType(DataViewType type) => type is VectorDataViewType vector ? vector.ItemType : type;

    public static bool IsFloating(DataViewType type) => type == NumberDataViewType.Single || type == NumberDataViewType.Double;

    public static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Scalar => column.IsKey ? $"Key<{column.ItemType}>" : $"{column.ItemType}",
        SchemaShape.Column.VectorKind.Vector => $"Vector<{column.ItemType}>",
        _ => $"variable-size Vector<{column.ItemType}>",
    };

    private static string Expected(int? width) => width switch
    {
        1 => "a Single or Double scalar, or a vector of one Single or Double",
        int w => $"a vector of {w} Single or Double values",
        null => "a known-size vector of Single or Double",
    };
}
