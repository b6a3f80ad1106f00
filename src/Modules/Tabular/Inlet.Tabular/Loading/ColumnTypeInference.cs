namespace Inlet.Tabular.Loading;

/// <summary>
/// Finds the narrowest column type that every value of a column fits, observing the whole file: a single
/// late outlier must widen the type, or loading would fail on it. Values people write for "missing"
/// (<see cref="MissingTokens"/>: NA, NULL, ".", …) do not count against a type: a numeric column with
/// <c>NA</c> stays numeric and loads them as NULL, while a text column keeps them as text.
/// </summary>
public sealed class ColumnTypeInference
{
    /// <summary>What R, Stata, SPSS, pandas and spreadsheets write for a missing value (the empty value is always missing).</summary>
    public static readonly IReadOnlySet<string> MissingTokens = new HashSet<string>(StringComparer.Ordinal) { "NA", "N/A", "NULL", "null", "NaN", ".", "-" };

    private static readonly MissingLookup Tokens = new(MissingTokens);

    private ColumnType? _result;
    private int _booleanPair = -1;

    /// <summary>Observes one value; the caller leaves out empty values.</summary>
    public void Observe(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Observe(value.AsSpan());
    }

    public void Observe(ReadOnlySpan<char> value)
    {
        if (_result == ColumnType.Text || KeepsType(value))
            return;
        if (IsMissingToken(value))
        {
            SawMissingToken = true;
            return;
        }
        var type = Classify(value);
        if (type == ColumnType.Boolean)
        {
            var pair = BooleanValues.PairOf(value);
            if (_booleanPair >= 0 && pair != _booleanPair)
                type = ColumnType.Text; // "yes" in a column of t/f: no one pair reads the column
            _booleanPair = pair;
        }
        _result = _result is { } seen ? Widen(seen, type) : type;
    }

    public static bool IsMissingToken(ReadOnlySpan<char> value) => Tokens.Contains(value);

    /// <summary>
    /// Whether the value is of the very type already seen, asking only that type's parser: most values of a column
    /// are, and trying every parser in <see cref="Classify"/>'s order on each of them was a third of a guessed load's
    /// parsing thread. True only where the full path would leave the type as it is (a missing token or another type takes
    /// the full path); ColumnTypeInferenceTests checks every combination of three values of every kind against the lattice.
    /// </summary>
    private bool KeepsType(ReadOnlySpan<char> value) => _result switch
    {
        null => false,
        ColumnType.Integer or ColumnType.BigInt or ColumnType.Numeric => value.Length > 0 && (char.IsAsciiDigit(value[0]) || value[0] is '+' or '-')
            && NumberText.Classify(value, settled: _result) is var number && number != ColumnType.Text && Widen(_result.Value, number) == _result,
        ColumnType.Boolean => _booleanPair >= 0 && BooleanValues.PairOf(value) == _booleanPair,
        ColumnType.Date => IsoTemporal.TryParseDate(value, out _),
        ColumnType.Timestamp => IsoTemporal.TryParseTimestamp(value, out _, out var offset) && offset is null,
        ColumnType.TimestampTz => IsoTemporal.TryParseTimestamp(value, out _, out var zone) && zone is not null,
        _ => false,
    };

    /// <summary>Whether a <see cref="MissingTokens"/> value was seen (they load as NULL unless the column is text).</summary>
    public bool SawMissingToken { get; private set; }

    /// <summary>Whether a value (not a missing one) was observed.</summary>
    public bool HasValue => _result is not null;

    /// <summary>The narrowest type all observed values fit; Text when none was observed.</summary>
    public ColumnType Result => _result ?? ColumnType.Text;

    /// <summary>The true/false pair a boolean column uses (t/f, yes/no, …).</summary>
    public BooleanValues Booleans => _booleanPair >= 0 ? BooleanValues.InferredPair(_booleanPair) : BooleanValues.Default;

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
        if (BooleanValues.PairOf(value) >= 0)
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
