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
}
