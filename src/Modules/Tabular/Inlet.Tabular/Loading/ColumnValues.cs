using System.Globalization;

namespace Inlet.Tabular.Loading;

/// <summary>Converts CSV text to the CLR values NpgsqlBinaryImporter writes for each column type.</summary>
public static class ColumnValues
{
    public const string DefaultFormat = "default";
    public const string AnyFormat = "any";
    public const string NoNulExpected = "text without NUL characters (PostgreSQL cannot store them)";

    private const NumberStyles LenientInteger = NumberStyles.Integer | NumberStyles.AllowThousands;
    private const NumberStyles LenientNumber = NumberStyles.Float | NumberStyles.AllowThousands;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Parses <paramref name="text"/> as <paramref name="type"/>. Format: null or "default" for the ISO forms,
    /// "any" for lenient invariant parsing, or a strptime pattern such as "%d/%m/%Y" for dates and times.
    /// Values are bool, int, long, decimal, DateOnly, DateTime (Unspecified for Timestamp, Utc for
    /// TimestampTz; a TimestampTz without zone is taken as UTC), TimeOnly or string.
    /// On failure, <paramref name="expected"/> describes what the text should have been.
    /// </summary>
    public static bool TryParse(ColumnType type, string text, string? format, out object? value, out string expected) =>
        TryParse(type, text, format, BooleanValues.Default, out value, out expected);

    public static bool TryParse(ColumnType type, string text, string? format, BooleanValues booleans, out object? value, out string expected)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(booleans);
        value = null;
        expected = "";
        if (text.Contains('\0'))
        {
            expected = NoNulExpected;
            return false;
        }
        var kind = FormatKind(format);
        value = type switch
        {
            ColumnType.Boolean => booleans.TryParse(text, out var b) ? b : null,
            ColumnType.Integer => int.TryParse(text, IntegerStyle(kind), Invariant, out var i) ? i : null,
            ColumnType.BigInt => long.TryParse(text, IntegerStyle(kind), Invariant, out var l) ? l : null,
            ColumnType.SmallInt => short.TryParse(text, IntegerStyle(kind), Invariant, out var sh) ? sh : null,
            ColumnType.Double => double.TryParse(text, kind == Kind.Any ? LenientNumber : NumberStyles.Float, Invariant, out var d) ? d : null,
            ColumnType.Numeric => ParseNumeric(text, kind),
            ColumnType.Date => ParseDate(text, kind, format),
            ColumnType.Timestamp => ParseTimestamp(text, kind, format, utc: false),
            ColumnType.TimestampTz => ParseTimestamp(text, kind, format, utc: true),
            ColumnType.Time => ParseTime(text, kind, format),
            ColumnType.Text => text,
            ColumnType.Real => float.TryParse(text, kind == Kind.Any ? LenientNumber : NumberStyles.Float, Invariant, out var r) ? r : null,
            ColumnType.Uuid => Guid.TryParse(text, out var g) ? g : null,
            ColumnType.Bytea => ParseBytea(text),
            ColumnType.Jsonb => IsJson(text) ? text : null,
            _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
        };
        if (value is not null)
            return true;
        expected = Describe(type, kind, format, booleans);
        return false;
    }

    /// <summary>What a value of the type should look like, for error messages.</summary>
    public static string Describe(ColumnType type, string? format, BooleanValues? booleans = null) =>
        Describe(type, FormatKind(format), format, booleans ?? BooleanValues.Default);

    private enum Kind { Iso, Any, Pattern }

    private static Kind FormatKind(string? format) => format switch
    {
        null or "" or DefaultFormat => Kind.Iso,
        AnyFormat => Kind.Any,
        _ => Kind.Pattern,
    };

    private static bool IsTemporal(ColumnType type) =>
        type is ColumnType.Date or ColumnType.Timestamp or ColumnType.TimestampTz or ColumnType.Time;

    private static string Describe(ColumnType type, Kind kind, string? format, BooleanValues booleans)
    {
        if (kind == Kind.Pattern && IsTemporal(type))
            return $"{Noun(type)} in the format {format}";
        return type switch
        {
            ColumnType.Boolean => booleans.Description,
            ColumnType.Integer => "a whole number (integer)",
            ColumnType.BigInt => "a whole number (bigint)",
            ColumnType.SmallInt => "a whole number from -32768 to 32767 (smallint)",
            ColumnType.Double => "a number like 12.5 or 1.5e-3 (double precision)",
            ColumnType.Numeric => "a number like 12.5",
            ColumnType.Date => "a date like 2026-11-23",
            ColumnType.Timestamp => "a date and time like 2026-11-23T14:30:00",
            ColumnType.TimestampTz => "a date and time like 2026-11-23T14:30:00Z or 2026-11-23T14:30:00+01:00",
            ColumnType.Time => "a time like 14:30:00",
            ColumnType.Real => "a number like 12.5 or 1.5e-3 (real)",
            ColumnType.Uuid => "a UUID like 6f9619ff-8b86-d011-b42d-00c04fc964ff",
            ColumnType.Bytea => "bytes in PostgreSQL's hex form, like \\x00ff10",
            ColumnType.Jsonb => "a JSON value",
            _ => NoNulExpected,
        };
    }

    private static string Noun(ColumnType type) => type switch
    {
        ColumnType.Date => "a date",
        ColumnType.Time => "a time",
        _ => "a date and time",
    };

    /// <summary>Bytes as PostgreSQL's export writes them: "\\x" and two hex digits per byte.</summary>
    private static byte[]? ParseBytea(string text)
    {
        if (!text.StartsWith("\\x", StringComparison.Ordinal) || text.Length % 2 != 0)
            return null;
        try
        {
            return Convert.FromHexString(text.AsSpan(2));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(text);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    // Number formats (such as Frictionless's groupChar) are not patterns; anything but "any" reads strictly.
    private static NumberStyles IntegerStyle(Kind kind) => kind == Kind.Any ? LenientInteger : NumberStyles.AllowLeadingSign;

    private static object? ParseNumeric(string text, Kind kind)
    {
        if (kind == Kind.Any)
            return decimal.TryParse(text, LenientNumber, Invariant, out var lenient) ? lenient : null;
        return NumberText.TryParseDecimal(text, out var value) ? value : null;
    }

    private static object? ParseDate(string text, Kind kind, string? format) => kind switch
    {
        Kind.Iso => IsoTemporal.TryParseDate(text, out var date) ? date : null,
        Kind.Any => DateTime.TryParse(text, Invariant, DateTimeStyles.AllowWhiteSpaces, out var any) ? DateOnly.FromDateTime(any) : null,
        _ => TryParsePattern(text, format!, out var parsed) ? DateOnly.FromDateTime(parsed.DateTime) : null,
    };

    private static object? ParseTime(string text, Kind kind, string? format) => kind switch
    {
        Kind.Iso => IsoTemporal.TryParseTime(text, out var time) ? time : null,
        Kind.Any => TimeOnly.TryParse(text, Invariant, DateTimeStyles.AllowWhiteSpaces, out var any) ? any : null,
        _ => TryParsePattern(text, format!, out var parsed) ? TimeOnly.FromDateTime(parsed.DateTime) : null,
    };

    private static object? ParseTimestamp(string text, Kind kind, string? format, bool utc)
    {
        DateTimeOffset moment;
        bool hasZone;
        switch (kind)
        {
            case Kind.Iso:
                if (!TryParseIsoTimestamp(text, out moment, out hasZone))
                    return null;
                break;
            case Kind.Any:
                if (!DateTimeOffset.TryParse(text, Invariant, DateTimeStyles.AllowWhiteSpaces | DateTimeStyles.AssumeUniversal, out moment))
                    return null;
                hasZone = true;
                break;
            default:
                if (!TryParsePattern(text, format!, out moment))
                    return null;
                hasZone = StrptimeFormat.Translate(format!).HasZone;
                break;
        }
        // Zoneless values are UTC in a zoned column; in a zoneless column a zone is converted away.
        if (utc)
            return moment.UtcDateTime;
        return DateTime.SpecifyKind(hasZone ? moment.UtcDateTime : moment.DateTime, DateTimeKind.Unspecified);
    }

    /// <summary>An ISO timestamp (or a date, as midnight) as the importer writes it: UTC for a zoned column, zone converted away otherwise.</summary>
    /// <param name="hasZone">Whether the text gave a zone (a date gives none).</param>
    internal static bool TryParseIsoTimestamp(ReadOnlySpan<char> text, bool utc, out DateTime value, out bool hasZone)
    {
        value = default;
        if (!TryParseIsoTimestamp(text, out var moment, out hasZone))
            return false;
        value = utc ? moment.UtcDateTime : DateTime.SpecifyKind(hasZone ? moment.UtcDateTime : moment.DateTime, DateTimeKind.Unspecified);
        return true;
    }

    // A date alone is midnight, so that a column mixing dates and timestamps loads.
    private static bool TryParseIsoTimestamp(ReadOnlySpan<char> text, out DateTimeOffset moment, out bool hasZone)
    {
        moment = default;
        hasZone = false;
        if (IsoTemporal.TryParseDate(text, out var date))
        {
            moment = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return true;
        }
        if (!IsoTemporal.TryParseTimestamp(text, out var local, out var offset))
            return false;
        hasZone = offset is not null;
        var utcTicks = local.Ticks - (offset ?? TimeSpan.Zero).Ticks;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks)
            return false;
        moment = new DateTimeOffset(local, offset ?? TimeSpan.Zero);
        return true;
    }

    private static bool TryParsePattern(string text, string pattern, out DateTimeOffset moment)
    {
        moment = default;
        var translation = StrptimeFormat.Translate(pattern);
        return translation.Format is not null
            && DateTimeOffset.TryParseExact(text, translation.Format, Invariant, DateTimeStyles.AssumeUniversal, out moment);
    }
}
