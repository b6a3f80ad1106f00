using Inlet.Tabular.Loading;

namespace Inlet.Tests.Tabular;

public sealed class ColumnTypeInferenceTests
{
    private static ColumnType Infer(params string[] values)
    {
        var inference = new ColumnTypeInference();
        foreach (var value in values)
            inference.Observe(value);
        return inference.Result;
    }

    [Theory]
    [InlineData(ColumnType.Boolean, "true", "FALSE", "True")]
    [InlineData(ColumnType.Integer, "0", "-5", "+12", "2147483647", "-2147483648")]
    [InlineData(ColumnType.BigInt, "1", "2147483648")]
    [InlineData(ColumnType.BigInt, "-9223372036854775808", "9223372036854775807")]
    [InlineData(ColumnType.Numeric, "9223372036854775808")]
    [InlineData(ColumnType.Numeric, "0.5", "-1.25", "1e5", "2.5E-3", "0")]
    [InlineData(ColumnType.Numeric, "1", "2.5")]
    [InlineData(ColumnType.Date, "2026-11-23", "2024-02-29")]
    [InlineData(ColumnType.Timestamp, "2026-11-23T14:30", "2026-11-23 14:30:15", "2026-11-23T14:30:15.1234567")]
    [InlineData(ColumnType.Timestamp, "2026-11-23", "2026-11-23T14:30:00")]
    [InlineData(ColumnType.TimestampTz, "2026-11-23T14:30:00Z", "2026-11-23 14:30+01:00", "2026-11-23T14:30:00.5-0530", "2026-11-23T14:30+02")]
    [InlineData(ColumnType.Time, "14:30", "23:59:59", "00:00:00.123")]
    public void Finds_the_narrowest_type(ColumnType expected, params string[] values)
    {
        Assert.Equal(expected, Infer(values));
    }

    [Theory]
    [InlineData("007")]
    [InlineData("00123")]
    [InlineData("-007")]
    [InlineData("00.5")]
    [InlineData("1", "2", "0042")]
    public void Numbers_with_leading_zeros_are_text(params string[] values)
    {
        Assert.Equal(ColumnType.Text, Infer(values));
    }

    [Theory]
    [InlineData("maybe")]
    [InlineData("1", "true")]
    [InlineData(" 5")]
    [InlineData("5 ")]
    [InlineData("1,5")]
    [InlineData(".5")]
    [InlineData("5.")]
    [InlineData("1e")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("1e400")]
    [InlineData("2026-02-30")]
    [InlineData("2026-13-01")]
    [InlineData("0000-01-01")]
    [InlineData("26-11-23")]
    [InlineData("2026-11-23T25:00")]
    [InlineData("2026-11-23T14:30+15:00")]
    [InlineData("24:00")]
    [InlineData("14:30:00.12345678")]
    [InlineData("2026-11-23T14:30:00", "2026-11-23T14:30:00Z")]
    [InlineData("2026-11-23", "2026-11-23T14:30:00Z")]
    [InlineData("2026-11-23", "14:30")]
    [InlineData("14:30", "12")]
    [InlineData("2026-11-23", "5")]
    [InlineData("true", "2026-11-23")]
    public void Anything_else_is_text(params string[] values)
    {
        Assert.Equal(ColumnType.Text, Infer(values));
    }

    [Fact]
    public void Without_values_the_type_is_text()
    {
        Assert.Equal(ColumnType.Text, Infer());
    }

    [Fact]
    public void A_late_outlier_turns_the_column_to_text()
    {
        var inference = new ColumnTypeInference();
        for (var i = 1; i < 200_000; i++)
            inference.Observe(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(ColumnType.Integer, inference.Result);

        inference.Observe("n/a");
        inference.Observe("5");

        Assert.Equal(ColumnType.Text, inference.Result);
    }

    [Theory]
    [InlineData(ColumnType.Boolean, "boolean")]
    [InlineData(ColumnType.Integer, "integer")]
    [InlineData(ColumnType.BigInt, "bigint")]
    [InlineData(ColumnType.Numeric, "numeric")]
    [InlineData(ColumnType.Date, "date")]
    [InlineData(ColumnType.Timestamp, "timestamp without time zone")]
    [InlineData(ColumnType.TimestampTz, "timestamp with time zone")]
    [InlineData(ColumnType.Time, "time without time zone")]
    [InlineData(ColumnType.Text, "text")]
    public void Names_types_as_PostgreSQLs_information_schema_does(ColumnType type, string name)
    {
        Assert.Equal(name, ColumnTypes.PostgresName(type));
    }

    // Values of every kind, and the edges where one parser's answer could differ from the full order's: leading zeros, signs,
    // a decimal too large for decimal, an exponent, a time, zoned and unzoned timestamps, every boolean pair, missing tokens.
    private static readonly string[] Mixed =
    [
        "0", "7", "-5", "+12", "007", "2147483648", "-9223372036854775809", "1.5", "-0.25", "1.", ".5", "1e5", "1e400",
        "123456789012345678901234567890.5", "12345678901234567890123456789.5", "1234567890123456789012345678.5",
        "2026-01-02", "2026-02-30", "2026-01-02T03:04:05", "2026-01-02 03:04", "2026-01-02T03:04:05Z", "2026-01-02T03:04:05+01:00",
        "12:30", "12:30:15.5", "true", "FALSE", "t", "F", "yes", "No", "y", "N", "NA", "null", ".", "-", "text", "1,5",
    ];

    /// <summary>The lattice the inference documents: one type stays, numbers widen, a date and an unzoned timestamp make a timestamp, else text.</summary>
    private static ColumnType? Widen(ColumnType? a, ColumnType? b)
    {
        if (a is null) return b;
        if (b is null || a == b) return a;
        ColumnType[] numbers = [ColumnType.Integer, ColumnType.BigInt, ColumnType.Numeric];
        if (numbers.Contains(a.Value) && numbers.Contains(b.Value))
            return numbers[Math.Max(Array.IndexOf(numbers, a.Value), Array.IndexOf(numbers, b.Value))];
        ColumnType[] moments = [ColumnType.Date, ColumnType.Timestamp];
        if (moments.Contains(a.Value) && moments.Contains(b.Value))
            return ColumnType.Timestamp;
        return ColumnType.Text;
    }

    [Fact]
    public void A_column_of_any_three_values_gets_the_type_their_single_types_widen_to_whatever_parser_is_asked_first()
    {
        // A single value is classified by the full order (nothing seen yet); later ones may take the seen type's parser first.
        ColumnType? Single(string v)
        {
            var inference = new ColumnTypeInference();
            inference.Observe(v);
            return ColumnTypeInference.IsMissingToken(v) ? null : inference.Result;
        }
        static string Pair(string v) => v.ToLowerInvariant() switch { "true" or "false" => "tf-long", "t" or "f" => "tf", "yes" or "no" => "yn-long", "y" or "n" => "yn", _ => "" };
        foreach (var a in Mixed)
            foreach (var b in Mixed)
                foreach (var c in new[] { "1", "2.5", "2026-03-04", "t", "yes", "x" })
                {
                    var expected = Widen(Widen(Single(a), Single(b)), Single(c));
                    // Booleans of two different pairs do not read as one column.
                    var pairs = new[] { a, b, c }.Where(v => Single(v) == ColumnType.Boolean).Select(Pair).Distinct().Count();
                    if (expected == ColumnType.Boolean && pairs > 1)
                        expected = ColumnType.Text;
                    Assert.True((expected ?? ColumnType.Text) == Infer(a, b, c), $"[{a}, {b}, {c}]: expected {expected ?? ColumnType.Text}, inferred {Infer(a, b, c)}");
                }
    }

    [Fact]
    public void A_value_an_inferred_column_converts_keeps_the_inferred_type()
    {
        // A load with guessed types observes only the values that did not convert (TableLoader.Observation): that is sound only
        // if every value that converts to the inferred type is one inference types the same. The converse keeps guesses from
        // failing without cause: a value that leaves the type as it is converts.
        string[] edges = ["00.5", "5.", "-007", "00", "-0", "2026-01-02T03:04:05.1234567-05:00", "2026-01-02 03:04:05Z", "0001-01-01", "9999-12-31T23:59:59",
            "1E-3", "+1.5e+3", "TRUE", "Yes", "n"];
        var values = Mixed.Concat(edges).ToArray();
        var checkedPairs = 0;
        foreach (var first in values)
        {
            var inference = new ColumnTypeInference();
            inference.Observe(first);
            if (!inference.HasValue || inference.Result == ColumnType.Text)
                continue;
            var type = inference.Result;
            var booleans = inference.Booleans;
            foreach (var next in values.Where(v => !ColumnTypeInference.IsMissingToken(v)))
            {
                var converts = new RowValues([type]).TrySet(0, next, null, booleans, out _, inferred: true);
                var after = new ColumnTypeInference();
                after.Observe(first);
                after.Observe(next);
                var keeps = after.Result == type && (type != ColumnType.Boolean || after.Booleans.Equals(booleans));
                Assert.True(converts == keeps, $"a {type} column (from '{first}'): '{next}' {(converts ? "converts" : "does not convert")} but inference {(keeps ? "keeps" : "changes")} the type ({after.Result})");
                checkedPairs++;
            }
        }
        Assert.True(checkedPairs > 1000, $"only {checkedPairs} pairs checked");
    }
}
