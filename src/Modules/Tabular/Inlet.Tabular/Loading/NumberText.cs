using System.Globalization;

namespace Inlet.Tabular.Loading;

/// <summary>Recognises plain decimal numbers: optional sign, digits, optional fraction and exponent.</summary>
internal static class NumberText
{
    private const NumberStyles DecimalStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;

    /// <summary>Integer digits that always fit a decimal (its range is 29 digits), whatever the fraction.</summary>
    private const int DecimalSafeDigits = 28;

    /// <summary>The narrowest number type of the text, or Text when it is no number we would load as one.</summary>
    /// <param name="settled">Numeric when the column is already numeric: a plain decimal that surely fits is then Numeric
    /// without parsing it (the load parses it anyway); the answer is the same as without.</param>
    public static ColumnType Classify(ReadOnlySpan<char> s, ColumnType? settled = null)
    {
        var i = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        var integerStart = i;
        i = SkipDigits(s, i);
        var integerDigits = i - integerStart;
        // Leading zeros mark identifiers such as zip codes: as numbers they would lose them.
        if (integerDigits == 0 || (integerDigits > 1 && s[integerStart] == '0'))
            return ColumnType.Text;
        var isWhole = i == s.Length;
        if (i < s.Length && s[i] == '.')
            i = RequireDigits(s, i + 1);
        if (settled == ColumnType.Numeric && !isWhole && i == s.Length && integerDigits <= DecimalSafeDigits)
            return ColumnType.Numeric;
        if (i > 0 && i < s.Length && s[i] is 'e' or 'E')
            i = RequireDigits(s, i + 1 < s.Length && s[i + 1] is '+' or '-' ? i + 2 : i + 1);
        if (i != s.Length)
            return ColumnType.Text;
        if (isWhole && int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            return ColumnType.Integer;
        if (isWhole && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            return ColumnType.BigInt;
        return TryParseDecimal(s, out _) ? ColumnType.Numeric : ColumnType.Text;
    }

    public static bool TryParseDecimal(ReadOnlySpan<char> s, out decimal value) =>
        decimal.TryParse(s, DecimalStyle, CultureInfo.InvariantCulture, out value);

    private static int SkipDigits(ReadOnlySpan<char> s, int i)
    {
        while (i < s.Length && char.IsAsciiDigit(s[i]))
            i++;
        return i;
    }

    // -1 makes the caller's end-of-text check fail.
    private static int RequireDigits(ReadOnlySpan<char> s, int start)
    {
        var end = SkipDigits(s, start);
        return end > start ? end : -1;
    }
}
