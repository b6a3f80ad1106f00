namespace Inlet.Tabular.Loading;

/// <summary>
/// The PostgreSQL column types a column can be loaded as. Real, Uuid, Bytea and Jsonb come from a Parquet file's
/// own types; a CSV column is never inferred as one, but metadata may declare them (as a Parquet table's export does).
/// </summary>
public enum ColumnType { Boolean, Integer, BigInt, Numeric, Date, Timestamp, TimestampTz, Time, Text, SmallInt, Double, Real, Uuid, Bytea, Jsonb }

public static class ColumnTypes
{
    /// <summary>The type's name as PostgreSQL's information_schema.columns.data_type reports it.</summary>
    public static string PostgresName(ColumnType type) => type switch
    {
        ColumnType.Boolean => "boolean",
        ColumnType.Integer => "integer",
        ColumnType.BigInt => "bigint",
        ColumnType.Numeric => "numeric",
        ColumnType.Date => "date",
        ColumnType.Timestamp => "timestamp without time zone",
        ColumnType.TimestampTz => "timestamp with time zone",
        ColumnType.Time => "time without time zone",
        ColumnType.Text => "text",
        ColumnType.SmallInt => "smallint",
        ColumnType.Double => "double precision",
        ColumnType.Real => "real",
        ColumnType.Uuid => "uuid",
        ColumnType.Bytea => "bytea",
        ColumnType.Jsonb => "jsonb",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>
    /// The PostgreSQL type names (and their usual aliases) metadata may declare: a whitelist, so that a
    /// declared type is looked up, never pasted into SQL.
    /// </summary>
    private static readonly Dictionary<string, ColumnType> Declarable = new(StringComparer.OrdinalIgnoreCase)
    {
        ["boolean"] = ColumnType.Boolean, ["bool"] = ColumnType.Boolean,
        ["smallint"] = ColumnType.SmallInt, ["int2"] = ColumnType.SmallInt,
        ["integer"] = ColumnType.Integer, ["int"] = ColumnType.Integer, ["int4"] = ColumnType.Integer,
        ["bigint"] = ColumnType.BigInt, ["int8"] = ColumnType.BigInt,
        ["numeric"] = ColumnType.Numeric, ["decimal"] = ColumnType.Numeric,
        ["double precision"] = ColumnType.Double, ["float8"] = ColumnType.Double, ["float"] = ColumnType.Double,
        ["text"] = ColumnType.Text,
        ["date"] = ColumnType.Date,
        ["timestamp"] = ColumnType.Timestamp, ["timestamp without time zone"] = ColumnType.Timestamp,
        ["timestamptz"] = ColumnType.TimestampTz, ["timestamp with time zone"] = ColumnType.TimestampTz,
        ["time"] = ColumnType.Time, ["time without time zone"] = ColumnType.Time,
        ["real"] = ColumnType.Real, ["float4"] = ColumnType.Real,
        ["uuid"] = ColumnType.Uuid, ["bytea"] = ColumnType.Bytea, ["jsonb"] = ColumnType.Jsonb,
    };

    public static string DeclarableNames => "boolean, smallint, integer, bigint, numeric, double precision, real, text, date, timestamp, timestamp with time zone, time, uuid, bytea, jsonb";

    /// <summary>The column type a declared PostgreSQL type name stands for (white space between words is folded).</summary>
    public static bool TryDeclared(string name, out ColumnType type) =>
        Declarable.TryGetValue(string.Join(' ', name.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)), out type);
}
