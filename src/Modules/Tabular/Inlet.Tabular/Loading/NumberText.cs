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
        var shape = ShapeOf(s, out var integerDigits);
        if (shape == Shape.None)
            return ColumnType.Text;
        if (settled == ColumnType.Numeric && shape == Shape.Fraction && integerDigits <= DecimalSafeDigits)
            return ColumnType.Numeric;
        if (shape == Shape.Whole && int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            return ColumnType.Integer;
        if (shape == Shape.Whole && long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            return ColumnType.BigInt;
        return TryParseDecimal(s, out _) ? ColumnType.Numeric : ColumnType.Text;
    }

    /// <summary>
    /// Whether the text is written as a number inference types as one (<see cref="Classify"/>): a column inferred as a number
    /// converts only such values, so that a value that converts is one the whole file's inference would type the same.
    /// </summary>
    public static bool IsPlain(ReadOnlySpan<char> s) => ShapeOf(s, out _) != Shape.None;

    private enum Shape { None, Whole, Fraction, Exponent }

    /// <summary>Optional sign, digits, optional fraction and exponent; None for anything else.</summary>
    private static Shape ShapeOf(ReadOnlySpan<char> s, out int integerDigits)
    {
        var i = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        var integerStart = i;
        i = SkipDigits(s, i);
        integerDigits = i - integerStart;
        // Leading zeros mark identifiers such as zip codes: as numbers they would lose them.
        if (integerDigits == 0 || (integerDigits > 1 && s[integerStart] == '0'))
            return Shape.None;
        if (i == s.Length)
            return Shape.Whole;
        if (s[i] == '.')
            i = RequireDigits(s, i + 1);
        if (i == s.Length)
            return Shape.Fraction;
        if (i > 0 && i < s.Length && s[i] is 'e' or 'E')
            i = RequireDigits(s, i + 1 < s.Length && s[i + 1] is '+' or '-' ? i + 2 : i + 1);
        return i == s.Length ? Shape.Exponent : Shape.None;
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
