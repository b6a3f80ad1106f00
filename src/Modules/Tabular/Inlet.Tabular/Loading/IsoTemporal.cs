namespace Inlet.Tabular.Loading;

/// <summary>
/// Hand-written parsers for the ISO 8601 forms we accept by default: exact, allocation-free and fast
/// enough to run on every value of a large file.
/// </summary>
internal static class IsoTemporal
{
    private const int MaxFractionDigits = 7;
    private static readonly TimeSpan MaxOffset = TimeSpan.FromHours(14);

    /// <summary>yyyy-MM-dd</summary>
    public static bool TryParseDate(ReadOnlySpan<char> s, out DateOnly date)
    {
        date = default;
        if (s.Length != 10 || s[4] != '-' || s[7] != '-'
            || !TryDigits(s[..4], out var year) || !TryDigits(s.Slice(5, 2), out var month) || !TryDigits(s.Slice(8, 2), out var day))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
            return false;
        date = new DateOnly(year, month, day);
        return true;
    }

    /// <summary>HH:mm[:ss[.fffffff]]</summary>
    public static bool TryParseTime(ReadOnlySpan<char> s, out TimeOnly time)
    {
        time = default;
        if (s.Length < 5 || s[2] != ':' || !TryDigits(s[..2], out var hour) || !TryDigits(s.Slice(3, 2), out var minute))
            return false;
        var second = 0;
        long fractionTicks = 0;
        if (s.Length > 5 && (s.Length < 8 || s[5] != ':' || !TryDigits(s.Slice(6, 2), out second)))
            return false;
        if (s.Length > 8 && (s[8] != '.' || !TryFractionTicks(s[9..], out fractionTicks)))
            return false;
        if (hour > 23 || minute > 59 || second > 59)
            return false;
        time = new TimeOnly(new TimeSpan(hour, minute, second).Ticks + fractionTicks);
        return true;
    }

    /// <summary>yyyy-MM-dd[T| ]HH:mm[:ss[.fffffff]] with an optional Z, ±HH:mm, ±HHmm or ±HH zone; offset is null without one.</summary>
    public static bool TryParseTimestamp(ReadOnlySpan<char> s, out DateTime local, out TimeSpan? offset)
    {
        local = default;
        offset = null;
        if (s.Length < 16 || s[10] is not ('T' or ' ') || !TryParseDate(s[..10], out var date))
            return false;
        var rest = s[11..];
        var zoneStart = rest.IndexOfAny('Z', '+', '-');
        var timeText = zoneStart < 0 ? rest : rest[..zoneStart];
        if (!TryParseTime(timeText, out var time))
            return false;
        if (zoneStart >= 0)
        {
            if (!TryParseOffset(rest[zoneStart..], out var zone))
                return false;
            offset = zone;
        }
        local = date.ToDateTime(time);
        return true;
    }

    private static bool TryParseOffset(ReadOnlySpan<char> s, out TimeSpan offset)
    {
        offset = TimeSpan.Zero;
        if (s is "Z")
            return true;
        var sign = s[0] == '-' ? -1 : 1;
        var digits = s[1..];
        int hours = 0, minutes = 0;
        var valid = digits.Length switch
        {
            2 => TryDigits(digits, out hours),
            4 => TryDigits(digits[..2], out hours) && TryDigits(digits[2..], out minutes),
            5 => TryDigits(digits[..2], out hours) && digits[2] == ':' && TryDigits(digits[3..], out minutes),
            _ => false,
        };
        if (!valid || minutes > 59)
            return false;
        offset = sign * new TimeSpan(hours, minutes, 0);
        return offset.Duration() <= MaxOffset;
    }

    private static bool TryFractionTicks(ReadOnlySpan<char> s, out long ticks)
    {
        ticks = 0;
        if (s.Length is 0 or > MaxFractionDigits || !TryDigits(s, out var fraction))
            return false;
        ticks = fraction;
        for (var i = s.Length; i < MaxFractionDigits; i++)
            ticks *= 10;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
