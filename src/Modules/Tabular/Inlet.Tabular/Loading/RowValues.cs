using System.Globalization;

namespace Inlet.Tabular.Loading;

/// <summary>
/// One row's values, converted and held typed (one slot array per CLR type), so that a row is written to
/// the binary importer only once every value of it converted — a bad value leaves no half-written row —
/// and no value is boxed on the way.
/// </summary>
public sealed class RowValues
{
    private readonly ColumnType[] _types;
    private readonly long[] _integers;
    private readonly decimal[] _decimals;
    private readonly double[] _doubles;
    private readonly DateTime[] _moments;
    private readonly DateOnly[] _dates;
    private readonly TimeOnly[] _times;
    private readonly bool[] _booleans;
    // The rare types only a Parquet file's table has (a CSV reloading its export): a boxed slot is good enough.
    private readonly object?[] _others;
    // Text in buffers of the row's own, reused with the row: a million-row load allocates no string per value.
    private readonly char[][] _texts;
    private readonly int[] _textLengths;
    private readonly bool[] _nulls;
    // For a load whose types are a guess: the fields as written, for the observation on the writer's thread.
    private readonly char[][]? _raws;
    private readonly int[]? _rawLengths;
    private readonly bool[]? _rawMissing;

    /// <summary>Whether the row is to be written to COPY; false for a row only observed (a guess that no longer holds).</summary>
    public bool Write { get; set; } = true;

    /// <param name="keepRaw">Keep each field's text too (<see cref="SetRaw"/>), for a load that observes every value.</param>
    public RowValues(IReadOnlyList<ColumnType> types, bool keepRaw = false) : this(types)
    {
        if (!keepRaw)
            return;
        _raws = new char[_types.Length][];
        Array.Fill(_raws, []);
        _rawLengths = new int[_types.Length];
        _rawMissing = new bool[_types.Length];
    }

    /// <summary>Marks every field of the row as not kept, before the fields of the next row are read into it.</summary>
    public void ClearRaw() => Array.Fill(_rawMissing!, true);

    /// <summary>Keeps a field's text as written (a missing value is only marked).</summary>
    public void SetRaw(int index, ReadOnlySpan<char> text, bool missing)
    {
        _rawMissing![index] = missing;
        if (!missing)
            Keep(_raws!, _rawLengths!, index, text);
    }

    public bool IsRawMissing(int index) => _rawMissing![index];

    public ReadOnlySpan<char> Raw(int index) => _raws![index].AsSpan(0, _rawLengths![index]);

    public RowValues(IReadOnlyList<ColumnType> types)
    {
        _types = [.. types];
        var n = _types.Length;
        (_integers, _decimals, _doubles, _moments, _dates, _times, _booleans, _nulls) =
            (new long[n], new decimal[n], new double[n], new DateTime[n], new DateOnly[n], new TimeOnly[n], new bool[n], new bool[n]);
        _texts = new char[n][];
        Array.Fill(_texts, []);
        _textLengths = new int[n];
        _others = new object?[n];
    }

    public void SetNull(int index) => _nulls[index] = true;

    /// <summary>Converts ISO and plain forms on spans; declared formats ("any", strptime patterns) take the general path.</summary>
    /// <param name="inferred">The column's type was inferred, not declared: only the forms inference types as it convert (no
    /// leading zero in a number, no zone in a timestamp column, a zone in a timestamptz column). Then a value that converts is
    /// one the whole file's inference would type the same, so a load with guessed types needs to observe only what did not
    /// convert (ColumnTypeInferenceTests.A_value_an_inferred_column_converts_keeps_the_inferred_type).</param>
    public bool TrySet(int index, ReadOnlySpan<char> text, string? format, BooleanValues booleans, out string expected, bool inferred = false)
    {
        expected = "";
        _nulls[index] = false;
        var type = _types[index];
        if (text.Contains('\0'))
        {
            expected = ColumnValues.NoNulExpected;
            return false;
        }
        if ((format is not (null or "" or ColumnValues.DefaultFormat) && type != ColumnType.Text) || type is ColumnType.Real or ColumnType.Uuid or ColumnType.Bytea or ColumnType.Jsonb)
            return TrySetGeneral(index, text.ToString(), format, booleans, out expected);
        if (inferred && type is (ColumnType.Integer or ColumnType.BigInt or ColumnType.Numeric) && !NumberText.IsPlain(text))
        {
            expected = ColumnValues.Describe(type, format, booleans);
            return false;
        }
        var ok = type switch
        {
            ColumnType.Boolean => booleans.TryParse(text, out _booleans[index]),
            ColumnType.SmallInt => short.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s) && Set(ref _integers[index], s),
            ColumnType.Integer => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) && Set(ref _integers[index], i),
            ColumnType.BigInt => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _integers[index]),
            ColumnType.Numeric => NumberText.TryParseDecimal(text, out _decimals[index]),
            ColumnType.Double => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _doubles[index]),
            ColumnType.Date => IsoTemporal.TryParseDate(text, out _dates[index]),
            ColumnType.Time => IsoTemporal.TryParseTime(text, out _times[index]),
            ColumnType.Timestamp or ColumnType.TimestampTz => ColumnValues.TryParseIsoTimestamp(text, type == ColumnType.TimestampTz, out _moments[index], out var zoned)
                && (!inferred || zoned == (type == ColumnType.TimestampTz)),
            _ => SetText(index, text),
        };
        if (!ok)
            expected = ColumnValues.Describe(type, format, booleans);
        return ok;
    }

    /// <summary>The value as the general converter returns it, for rules that need it (minimum, maximum).</summary>
    public object? Boxed(int index) => _nulls[index] ? null : _types[index] switch
    {
        ColumnType.SmallInt => (short)_integers[index],
        ColumnType.Integer => (int)_integers[index],
        ColumnType.BigInt => _integers[index],
        ColumnType.Numeric => _decimals[index],
        ColumnType.Double => _doubles[index],
        ColumnType.Real => (double)(float)_others[index]!,
        _ => null,
    };

    public void WriteTo(BinaryCopyWriter writer)
    {
        writer.StartRow(_types.Length);
        for (var i = 0; i < _types.Length; i++)
        {
            if (_nulls[i])
            {
                writer.WriteNull();
                continue;
            }
            switch (_types[i])
            {
                case ColumnType.Boolean: writer.WriteBoolean(_booleans[i]); break;
                case ColumnType.SmallInt: writer.WriteInt16((short)_integers[i]); break;
                case ColumnType.Integer: writer.WriteInt32((int)_integers[i]); break;
                case ColumnType.BigInt: writer.WriteInt64(_integers[i]); break;
                case ColumnType.Numeric: writer.WriteNumeric(_decimals[i]); break;
                case ColumnType.Double: writer.WriteDouble(_doubles[i]); break;
                case ColumnType.Date: writer.WriteDate(_dates[i]); break;
                case ColumnType.Time: writer.WriteTime(_times[i]); break;
                case ColumnType.Timestamp or ColumnType.TimestampTz: writer.WriteTimestamp(_moments[i]); break;
                case ColumnType.Real: writer.WriteSingle((float)_others[i]!); break;
                case ColumnType.Uuid: writer.WriteUuid((Guid)_others[i]!); break;
                case ColumnType.Bytea: writer.WriteBytes((byte[])_others[i]!); break;
                case ColumnType.Jsonb: writer.WriteJsonb((string)_others[i]!); break;
                default: writer.WriteText(_texts[i].AsSpan(0, _textLengths[i])); break;
            }
        }
    }

    private static bool Set(ref long slot, long value)
    {
        slot = value;
        return true;
    }

    private bool SetText(int index, ReadOnlySpan<char> text)
    {
        Keep(_texts, _textLengths, index, text);
        return true;
    }

    /// <summary>Copies text into the row's own buffer for the column, growing it when needed (reused with the row).</summary>
    private static void Keep(char[][] buffers, int[] lengths, int index, ReadOnlySpan<char> text)
    {
        if (buffers[index].Length < text.Length)
            buffers[index] = new char[Math.Max(text.Length, 2 * buffers[index].Length)];
        text.CopyTo(buffers[index]);
        lengths[index] = text.Length;
    }

    private bool TrySetGeneral(int index, string text, string? format, BooleanValues booleans, out string expected)
    {
        if (!ColumnValues.TryParse(_types[index], text, format, booleans, out var value, out expected))
            return false;
        if (_types[index] is ColumnType.Real or ColumnType.Uuid or ColumnType.Bytea or ColumnType.Jsonb)
        {
            _others[index] = value;
            return true;
        }
        switch (value)
        {
            case bool b: _booleans[index] = b; break;
            case short s: _integers[index] = s; break;
            case int i: _integers[index] = i; break;
            case long l: _integers[index] = l; break;
            case decimal d: _decimals[index] = d; break;
            case double f: _doubles[index] = f; break;
            case DateOnly date: _dates[index] = date; break;
            case TimeOnly time: _times[index] = time; break;
            case DateTime moment: _moments[index] = moment; break;
            default: SetText(index, value?.ToString()); break;
        }
        return true;
    }
}
