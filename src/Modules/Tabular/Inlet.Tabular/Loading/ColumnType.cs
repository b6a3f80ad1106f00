namespace Inlet.Tabular.Loading;

/// <summary>The PostgreSQL column types a CSV column can be loaded as.</summary>
public enum ColumnType { Boolean, Integer, BigInt, Numeric, Date, Timestamp, TimestampTz, Time, Text }

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
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
