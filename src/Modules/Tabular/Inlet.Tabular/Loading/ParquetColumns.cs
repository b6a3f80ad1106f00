using Npgsql;
using NpgsqlTypes;
using ParquetSharp;

namespace Inlet.Tabular.Loading;

/// <summary>A value in a Parquet file that PostgreSQL cannot hold; the message says what the value is and why.</summary>
/// <param name="Row">The value's row within the batch, when it is known where the exception is thrown.</param>
public sealed class ParquetValueException(string message, int? row = null) : Exception(message)
{
    public int? Row { get; } = row;
}

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

/// <summary>
/// Text, read as the file's raw UTF-8 bytes and decoded into one reused character buffer per slot, written to
/// COPY as segments of it: no string per value (millions of them are what grows a server GC's heaps).
/// Checked on the way: the bytes must be UTF-8, and hold no NUL (PostgreSQL text cannot store one).
/// </summary>
public sealed class TextColumnCopy(int batch, int slots, short maxDefinitionLevel) : ColumnCopy
{
    private static readonly System.Text.UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);
    private readonly char[][] _chars = Enumerable.Range(0, slots).Select(_ => new char[batch * 32]).ToArray();
    private readonly int[][] _starts = Enumerable.Range(0, slots).Select(_ => new int[batch + 1]).ToArray();
    private readonly bool[][] _nulls = Enumerable.Range(0, slots).Select(_ => new bool[batch]).ToArray();
    private readonly ByteArray[] _values = new ByteArray[batch];
    private readonly short[] _definitions = new short[batch];
    private byte[] _bytes = new byte[4096];
    private ColumnReader? _column;
    private ColumnReader<ByteArray>? _reader;

    public override void Open(RowGroupReader group, int column)
    {
        Close();
        _column = group.Column(column);
        _reader = (ColumnReader<ByteArray>)_column;
    }

    public override int Read(int slot)
    {
        var starts = _starts[slot];
        var nulls = _nulls[slot];
        var filled = 0;
        var at = 0;
        // One call reads at most to the end of a data page: read on until the batch is full or the column chunk ends.
        while (filled < batch && _reader!.HasNext)
        {
            var levels = (int)_reader.ReadBatch(batch - filled, _definitions.AsSpan(0, batch - filled), Span<short>.Empty, _values.AsSpan(0, batch - filled), out _);
            var value = 0;
            for (var i = 0; i < levels; i++, filled++)
            {
                starts[filled] = at;
                if (maxDefinitionLevel > 0 && _definitions[i] < maxDefinitionLevel)
                {
                    nulls[filled] = true;
                    continue;
                }
                nulls[filled] = false;
                var bytes = _values[value++];
                if (_bytes.Length < bytes.Length)
                    _bytes = new byte[Math.Max(bytes.Length, 2 * _bytes.Length)];
                if (bytes.Length > 0)
                    System.Runtime.InteropServices.Marshal.Copy(bytes.Pointer, _bytes, 0, bytes.Length);
                var span = _bytes.AsSpan(0, bytes.Length);
                if (span.Contains((byte)0))
                    throw new ParquetValueException("the text holds a NUL character (\\0), which PostgreSQL text cannot store", filled);
                if (_chars[slot].Length < at + bytes.Length)
                    Array.Resize(ref _chars[slot], Math.Max(at + bytes.Length, 2 * _chars[slot].Length));
                try
                {
                    at += Strict.GetChars(span, _chars[slot].AsSpan(at));
                }
                catch (System.Text.DecoderFallbackException)
                {
                    throw new ParquetValueException("the text is not valid UTF-8, as Parquet strings must be", filled);
                }
            }
            if (levels == 0)
                break;
        }
        starts[filled] = at;
        return filled;
    }

    public override void Write(NpgsqlBinaryImporter importer, int slot, int row)
    {
        if (_nulls[slot][row])
            importer.WriteNull();
        else
            importer.Write(new ArraySegment<char>(_chars[slot], _starts[slot][row], _starts[slot][row + 1] - _starts[slot][row]), NpgsqlDbType.Text);
    }

    public override void Close()
    {
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
            if (Map(i, header, descriptor.PhysicalType, logical, parquetType, descriptor.MaxDefinitionLevel) is { } column)
                columns.Add(column);
            else
                refused.Add(logical is DecimalLogicalType { Precision: > MaxDecimalPrecision } wide
                    ? $"column '{header}' is decimal({wide.Precision},{wide.Scale}); at most {MaxDecimalPrecision} digits load exactly. Write it as decimal({MaxDecimalPrecision},{Math.Min(wide.Scale, MaxDecimalPrecision)}) or narrower, or as a string."
                    : $"column '{header}' has the Parquet type {parquetType}, which has no exact PostgreSQL type here. Write it as a string, a number or a timestamp.");
        }
        return (columns, refused);
    }

    private static ParquetColumn? Map(int index, string header, PhysicalType physical, LogicalType logical, string parquetType, short maxDefinitionLevel)
    {
        var optional = maxDefinitionLevel > 0;
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
                return new(index, header, ColumnType.Text, ColumnTypes.PostgresName(ColumnType.Text), parquetType,
                    (batch, slots) => new TextColumnCopy(batch, slots, maxDefinitionLevel));
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
