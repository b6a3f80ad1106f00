using Npgsql;
using NpgsqlTypes;
using ParquetSharp;

namespace Inlet.Tabular.Loading;

/// <summary>A value in a Parquet file that PostgreSQL cannot hold; the message says what the value is and why.</summary>
public sealed class ParquetValueException(string message) : Exception(message);

/// <summary>
/// One leaf column of a Parquet file as it loads: its PostgreSQL type (from the file's physical and logical
/// types, never guessed), and how its values are read in batches and written to binary COPY.
/// </summary>
/// <param name="Header">The column's path in the file ("weight", or "address.city" for a field of a struct).</param>
/// <param name="Sql">The type as created (with precision and scale where the file has them, e.g. numeric(9,3)).</param>
/// <param name="ParquetType">The file's own type, for messages and the catalogue's description.</param>
public sealed record ParquetColumn(int Index, string Header, ColumnType Type, string Sql, string ParquetType, Func<int, int, ColumnCopy> Copy);

/// <summary>
/// The reading side of one column for one load: per row group a ParquetSharp reader decodes a batch of
/// values into one of a few reused buffers (slots), and the writing side writes a row's value from a slot.
/// The two run on different threads, on different slots: memory is the slots', whatever the row group's size.
/// </summary>
public abstract class ColumnCopy : IDisposable
{
    /// <summary>Starts reading this column in a new row group (the reader of the previous one is closed).</summary>
    public abstract void Open(RowGroupReader group, int column);

    /// <summary>Reads the next batch into <paramref name="slot"/>; returns how many values it holds.</summary>
    public abstract int Read(int slot);

    public abstract void Write(NpgsqlBinaryImporter importer, int slot, int row);

    /// <summary>Closes the row group's reader, before the row group itself is closed.</summary>
    public abstract void Close();

    public void Dispose() => Close();
}

/// <summary>A column whose element type is <typeparamref name="T"/> (a class, or a nullable or required struct) written as <typeparamref name="TOut"/>.</summary>
public sealed class ColumnCopy<T, TOut>(int batch, int slots, Func<T, TOut> convert, NpgsqlDbType type, Func<T, bool> isNull) : ColumnCopy
{
    private readonly T[][] _buffers = Enumerable.Range(0, slots).Select(_ => new T[batch]).ToArray();
    private ColumnReader? _column;
    private LogicalColumnReader<T>? _reader;

    public override void Open(RowGroupReader group, int column)
    {
        Close();
        _column = group.Column(column);
        _reader = _column.LogicalReader<T>(batch);
    }

    public override int Read(int slot) => _reader!.ReadBatch(_buffers[slot]);

    public override void Write(NpgsqlBinaryImporter importer, int slot, int row)
    {
        var value = _buffers[slot][row];
        if (isNull(value))
            importer.WriteNull();
        else
            importer.Write(convert(value), type);
    }

    public override void Close()
    {
        _reader?.Dispose();
        _column?.Dispose();
        (_reader, _column) = (null, null);
    }
}

public static class ParquetColumns
{
    /// <summary>Dates as DateOnly and times as TimeOnly: the types Npgsql writes to date and time without conversion.</summary>
    public static LogicalTypeFactory TypeFactory { get; } = new() { DateAsDateOnly = true, TimeAsTimeOnly = true };

    /// <summary>System.Decimal holds 28 significant digits; wider decimals are refused rather than rounded.</summary>
    public const int MaxDecimalPrecision = 28;

    private static readonly DateTime UnixEpoch = DateTime.UnixEpoch;

    /// <summary>
    /// The file's leaf columns as they load, or the reasons some cannot (repeated columns — lists and maps —
    /// and types PostgreSQL has no exact place for), one line per column, so that the uploader can fix them all at once.
    /// </summary>
    public static (List<ParquetColumn> Columns, List<string> Refused) Plan(SchemaDescriptor schema)
    {
        var columns = new List<ParquetColumn>();
        var refused = new List<string>();
        for (var i = 0; i < schema.NumColumns; i++)
        {
            var descriptor = schema.Column(i);
            using var path = descriptor.Path;
            var header = path.ToDotString();
            using var logical = descriptor.LogicalType;
            var parquetType = Describe(descriptor.PhysicalType, logical);
            if (descriptor.MaxRepetitionLevel > 0)
            {
                refused.Add($"column '{header}' is a list or a map ({parquetType} repeated); only flat columns and fields of structs load. Write it as a JSON string, or flatten it to one row per value.");
                continue;
            }
            var optional = descriptor.MaxDefinitionLevel > 0;
            if (Map(i, header, descriptor.PhysicalType, logical, parquetType, optional) is { } column)
                columns.Add(column);
            else
                refused.Add(logical is DecimalLogicalType { Precision: > MaxDecimalPrecision } wide
                    ? $"column '{header}' is decimal({wide.Precision},{wide.Scale}); at most {MaxDecimalPrecision} digits load exactly. Write it as decimal({MaxDecimalPrecision},{Math.Min(wide.Scale, MaxDecimalPrecision)}) or narrower, or as a string."
                    : $"column '{header}' has the Parquet type {parquetType}, which has no exact PostgreSQL type here. Write it as a string, a number or a timestamp.");
        }
        return (columns, refused);
    }

    private static ParquetColumn? Map(int index, string header, PhysicalType physical, LogicalType logical, string parquetType, bool optional)
    {
        ParquetColumn Column<T, TOut>(ColumnType type, NpgsqlDbType db, Func<T, TOut> convert, string? sql = null) where T : struct =>
            optional
                ? new(index, header, type, sql ?? ColumnTypes.PostgresName(type), parquetType,
                    (batch, slots) => new ColumnCopy<T?, TOut>(batch, slots, v => convert(v!.Value), db, v => !v.HasValue))
                : new(index, header, type, sql ?? ColumnTypes.PostgresName(type), parquetType,
                    (batch, slots) => new ColumnCopy<T, TOut>(batch, slots, convert, db, _ => false));
        ParquetColumn Reference<T, TOut>(ColumnType type, NpgsqlDbType db, Func<T, TOut> convert) where T : class =>
            new(index, header, type, ColumnTypes.PostgresName(type), parquetType,
                (batch, slots) => new ColumnCopy<T, TOut>(batch, slots, convert, db, v => v is null));

        switch (logical)
        {
            case DecimalLogicalType d when d.Precision > MaxDecimalPrecision:
                return null;
            case DecimalLogicalType d:
                return Column<decimal, decimal>(ColumnType.Numeric, NpgsqlDbType.Numeric, v => v, $"numeric({d.Precision},{d.Scale})");
            case DateLogicalType:
                return Column<DateOnly, DateOnly>(ColumnType.Date, NpgsqlDbType.Date, v => v);
            case TimeLogicalType { TimeUnit: TimeUnit.Nanos }:
                return Column<TimeSpanNanos, TimeOnly>(ColumnType.Time, NpgsqlDbType.Time, v => new TimeOnly(v.Ticks / 100));
            case TimeLogicalType:
                return Column<TimeOnly, TimeOnly>(ColumnType.Time, NpgsqlDbType.Time, v => v);
            case TimestampLogicalType { TimeUnit: TimeUnit.Nanos } t:
                return t.IsAdjustedToUtc
                    ? Column<DateTimeNanos, DateTime>(ColumnType.TimestampTz, NpgsqlDbType.TimestampTz, v => new DateTime(UnixEpoch.Ticks + v.Ticks / 100, DateTimeKind.Utc))
                    : Column<DateTimeNanos, DateTime>(ColumnType.Timestamp, NpgsqlDbType.Timestamp, v => new DateTime(UnixEpoch.Ticks + v.Ticks / 100, DateTimeKind.Unspecified));
            case TimestampLogicalType t:
                return t.IsAdjustedToUtc
                    ? Column<DateTime, DateTime>(ColumnType.TimestampTz, NpgsqlDbType.TimestampTz, v => DateTime.SpecifyKind(v, DateTimeKind.Utc))
                    : Column<DateTime, DateTime>(ColumnType.Timestamp, NpgsqlDbType.Timestamp, v => DateTime.SpecifyKind(v, DateTimeKind.Unspecified));
            case IntLogicalType i:
                return (i.BitWidth, i.IsSigned) switch
                {
                    (8, true) => Column<sbyte, short>(ColumnType.SmallInt, NpgsqlDbType.Smallint, v => v),
                    (8, false) => Column<byte, short>(ColumnType.SmallInt, NpgsqlDbType.Smallint, v => v),
                    (16, true) => Column<short, short>(ColumnType.SmallInt, NpgsqlDbType.Smallint, v => v),
                    (16, false) => Column<ushort, int>(ColumnType.Integer, NpgsqlDbType.Integer, v => v),
                    (32, true) => Column<int, int>(ColumnType.Integer, NpgsqlDbType.Integer, v => v),
                    (32, false) => Column<uint, long>(ColumnType.BigInt, NpgsqlDbType.Bigint, v => v),
                    (64, true) => Column<long, long>(ColumnType.BigInt, NpgsqlDbType.Bigint, v => v),
                    (64, false) => Column<ulong, decimal>(ColumnType.Numeric, NpgsqlDbType.Numeric, v => v, "numeric(20,0)"),
                    _ => null,
                };
            case StringLogicalType or EnumLogicalType:
                return Reference<string, string>(ColumnType.Text, NpgsqlDbType.Text, v => NoNul(v));
            case JsonLogicalType:
                return Reference<string, string>(ColumnType.Jsonb, NpgsqlDbType.Jsonb, v => NoNul(v));
            case UuidLogicalType:
                return Column<Guid, Guid>(ColumnType.Uuid, NpgsqlDbType.Uuid, v => v);
            case Float16LogicalType:
                return Column<Half, float>(ColumnType.Real, NpgsqlDbType.Real, v => (float)v);
            case BsonLogicalType:
                return Reference<byte[], byte[]>(ColumnType.Bytea, NpgsqlDbType.Bytea, v => v);
            case NoneLogicalType or NullLogicalType:
                return physical switch
                {
                    PhysicalType.Boolean => Column<bool, bool>(ColumnType.Boolean, NpgsqlDbType.Boolean, v => v),
                    PhysicalType.Int32 => Column<int, int>(ColumnType.Integer, NpgsqlDbType.Integer, v => v),
                    PhysicalType.Int64 => Column<long, long>(ColumnType.BigInt, NpgsqlDbType.Bigint, v => v),
                    // Legacy timestamps (Impala, older Spark): nanoseconds of the day and a Julian day, in no time zone.
                    PhysicalType.Int96 => Column<Int96, DateTime>(ColumnType.Timestamp, NpgsqlDbType.Timestamp, FromInt96),
                    PhysicalType.Float => Column<float, float>(ColumnType.Real, NpgsqlDbType.Real, v => v),
                    PhysicalType.Double => Column<double, double>(ColumnType.Double, NpgsqlDbType.Double, v => v),
                    PhysicalType.ByteArray or PhysicalType.FixedLenByteArray => Reference<byte[], byte[]>(ColumnType.Bytea, NpgsqlDbType.Bytea, v => v),
                    _ => null,
                };
            default:
                return null;
        }
    }

    private static string NoNul(string value) => value.Contains('\0')
        ? throw new ParquetValueException("the text holds a NUL character (\\0), which PostgreSQL text cannot store")
        : value;

    private static DateTime FromInt96(Int96 value)
    {
        var nanosOfDay = ((long)(uint)value.B << 32) | (uint)value.A;
        const int julianUnixEpoch = 2_440_588;
        return new DateTime(UnixEpoch.Ticks + (value.C - (long)julianUnixEpoch) * TimeSpan.TicksPerDay + nanosOfDay / 100, DateTimeKind.Unspecified);
    }

    /// <summary>The file's type as Parquet tools name it: "INT32", "INT64 (TIMESTAMP(MICROS, UTC))", "BYTE_ARRAY (STRING)".</summary>
    private static string Describe(PhysicalType physical, LogicalType logical)
    {
        var name = physical switch
        {
            PhysicalType.Boolean => "BOOLEAN",
            PhysicalType.Int32 => "INT32",
            PhysicalType.Int64 => "INT64",
            PhysicalType.Int96 => "INT96",
            PhysicalType.Float => "FLOAT",
            PhysicalType.Double => "DOUBLE",
            PhysicalType.ByteArray => "BYTE_ARRAY",
            PhysicalType.FixedLenByteArray => "FIXED_LEN_BYTE_ARRAY",
            _ => physical.ToString(),
        };
        return logical is NoneLogicalType ? name : $"{name} ({logical})";
    }
}
