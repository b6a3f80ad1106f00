namespace Inlet.Tabular.Loading;

/// <summary>
/// Finds the narrowest column type that every value of a column fits, observing the whole file: a single
/// late outlier must widen the type, or loading would fail on it.
/// </summary>
public sealed class ColumnTypeInference
{
    private ColumnType? _result;

    /// <summary>Observes one value; the caller leaves out missing values.</summary>
    public void Observe(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (_result == ColumnType.Text)
            return;
        var type = Classify(value);
        _result = _result is { } seen ? Widen(seen, type) : type;
    }

    /// <summary>The narrowest type all observed values fit; Text when none was observed.</summary>
    public ColumnType Result => _result ?? ColumnType.Text;

    internal static ColumnType Classify(ReadOnlySpan<char> value)
    {
        if (value.Length == 0)
            return ColumnType.Text;
        if (char.IsAsciiDigit(value[0]) && IsoTemporal.TryParseDate(value, out _))
            return ColumnType.Date;
        if (char.IsAsciiDigit(value[0]) && IsoTemporal.TryParseTimestamp(value, out _, out var offset))
            return offset is null ? ColumnType.Timestamp : ColumnType.TimestampTz;
        if (char.IsAsciiDigit(value[0]) && IsoTemporal.TryParseTime(value, out _))
            return ColumnType.Time;
        if (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("false", StringComparison.OrdinalIgnoreCase))
            return ColumnType.Boolean;
        return NumberText.Classify(value);
    }

    private static ColumnType Widen(ColumnType seen, ColumnType next)
    {
        if (seen == next)
            return seen;
        if (IsNumber(seen) && IsNumber(next))
            return (ColumnType)Math.Max((int)seen, (int)next);
        // A date is midnight of its day; mixing zoned and unzoned values stays text, as no reading of them is safe.
        if (seen is ColumnType.Date or ColumnType.Timestamp && next is ColumnType.Date or ColumnType.Timestamp)
            return ColumnType.Timestamp;
        return ColumnType.Text;
    }

    private static bool IsNumber(ColumnType type) => type is ColumnType.Integer or ColumnType.BigInt or ColumnType.Numeric;
}
