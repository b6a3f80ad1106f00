using Inlet.Tabular.Loading;

namespace Inlet.Tests.Tabular;

public sealed class ColumnValuesTests
{
    private static object? Parsed(ColumnType type, string text, string? format = null)
    {
        Assert.True(ColumnValues.TryParse(type, text, format, out var value, out var expected), $"{text} as {type}: {expected}");
        return value;
    }

    private static string Rejected(ColumnType type, string text, string? format = null, BooleanValues? booleans = null)
    {
        Assert.False(ColumnValues.TryParse(type, text, format, booleans ?? BooleanValues.Default, out var value, out var expected));
        Assert.Null(value);
        return expected;
    }

    [Fact]
    public void Converts_to_the_values_the_binary_importer_writes()
    {
        Assert.Equal(true, Parsed(ColumnType.Boolean, "TRUE"));
        Assert.Equal(false, Parsed(ColumnType.Boolean, "0"));
        Assert.Equal(-42, Parsed(ColumnType.Integer, "-42"));
        Assert.Equal(9_000_000_000L, Parsed(ColumnType.BigInt, "9000000000"));
        Assert.Equal(12.50m, Parsed(ColumnType.Numeric, "12.50"));
        Assert.Equal(150m, Parsed(ColumnType.Numeric, "1.5e2"));
        Assert.Equal(new DateOnly(2026, 11, 23), Parsed(ColumnType.Date, "2026-11-23"));
        Assert.Equal(new TimeOnly(14, 30, 5, 250), Parsed(ColumnType.Time, "14:30:05.25"));
        Assert.Equal("as is ", Parsed(ColumnType.Text, "as is "));
    }

    [Fact]
    public void A_declared_integer_may_have_leading_zeros()
    {
        Assert.Equal(7, Parsed(ColumnType.Integer, "007"));
    }

    [Fact]
    public void Timestamps_are_unspecified_and_zoned_timestamps_utc()
    {
        var local = (DateTime)Parsed(ColumnType.Timestamp, "2026-11-23 14:30:00.1234567")!;
        var zoned = (DateTime)Parsed(ColumnType.TimestampTz, "2026-11-23T14:30:00+01:30")!;
        var zoneless = (DateTime)Parsed(ColumnType.TimestampTz, "2026-11-23T14:30")!;

        Assert.Equal((new DateTime(2026, 11, 23, 14, 30, 0).AddTicks(1234567), DateTimeKind.Unspecified), (local, local.Kind));
        Assert.Equal((new DateTime(2026, 11, 23, 13, 0, 0), DateTimeKind.Utc), (zoned, zoned.Kind));
        Assert.Equal((new DateTime(2026, 11, 23, 14, 30, 0), DateTimeKind.Utc), (zoneless, zoneless.Kind));
    }

    [Fact]
    public void A_date_in_a_timestamp_column_is_midnight()
    {
        Assert.Equal(new DateTime(2026, 11, 23), Parsed(ColumnType.Timestamp, "2026-11-23"));
    }

    [Fact]
    public void Every_inferred_value_parses_as_its_inferred_type()
    {
        string[] samples = ["tRuE", "12", "-2147483649", "0.5", "1e5", "2026-11-23", "2026-11-23T14:30", "2026-11-23T14:30Z", "14:30:59.9"];
        foreach (var sample in samples)
        {
            var inference = new ColumnTypeInference();
            inference.Observe(sample);
            Assert.True(ColumnValues.TryParse(inference.Result, sample, null, out _, out var expected), $"{sample}: {expected}");
        }
    }

    [Theory]
    [InlineData(ColumnType.Boolean, "yes", "a boolean (true or false)")]
    [InlineData(ColumnType.Integer, "3000000000", "a whole number (integer)")]
    [InlineData(ColumnType.Integer, "1.5", "a whole number (integer)")]
    [InlineData(ColumnType.BigInt, " 1", "a whole number (bigint)")]
    [InlineData(ColumnType.Numeric, "1,5", "a number like 12.5")]
    [InlineData(ColumnType.Date, "23/11/2026", "a date like 2026-11-23")]
    [InlineData(ColumnType.Timestamp, "2026-11-23T14", "a date and time like 2026-11-23T14:30:00")]
    [InlineData(ColumnType.TimestampTz, "2026-11-23T14:30 CET", "a date and time like 2026-11-23T14:30:00Z or 2026-11-23T14:30:00+01:00")]
    [InlineData(ColumnType.Time, "2pm", "a time like 14:30:00")]
    public void Describes_what_was_expected(ColumnType type, string text, string expected)
    {
        Assert.Equal(expected, Rejected(type, text));
    }

    [Theory]
    [InlineData(ColumnType.Text)]
    [InlineData(ColumnType.Integer)]
    [InlineData(ColumnType.Date)]
    [InlineData(ColumnType.Boolean)]
    public void Nul_characters_fail_for_every_type(ColumnType type)
    {
        Assert.Equal(ColumnValues.NoNulExpected, Rejected(type, "1\0"));
    }

    [Fact]
    public void Declared_boolean_values_replace_the_defaults()
    {
        var booleans = BooleanValues.From(["yes", "y"], ["no", "n"]);

        Assert.True(ColumnValues.TryParse(ColumnType.Boolean, "y", null, booleans, out var value, out _));
        Assert.Equal(true, value);
        Assert.True(ColumnValues.TryParse(ColumnType.Boolean, "no", null, booleans, out value, out _));
        Assert.Equal(false, value);
        Assert.Equal("a boolean: yes, y for true or no, n for false", Rejected(ColumnType.Boolean, "true", booleans: booleans));
        Assert.Equal("a boolean: yes, y for true or no, n for false", Rejected(ColumnType.Boolean, "Yes", booleans: booleans));
    }

    [Fact]
    public void Declaring_one_side_keeps_the_default_of_the_other()
    {
        var booleans = BooleanValues.From(["ja"], null);

        Assert.True(ColumnValues.TryParse(ColumnType.Boolean, "FALSE", null, booleans, out var value, out _));
        Assert.Equal(false, value);
        Rejected(ColumnType.Boolean, "TRUE", booleans: booleans);
    }

    [Theory]
    [InlineData(ColumnType.Date, "23/11/2026", "%d/%m/%Y", "2026-11-23")]
    [InlineData(ColumnType.Date, "3/1/2026", "%d/%m/%Y", "2026-01-03")]
    [InlineData(ColumnType.Date, "20261123", "%Y%m%d", "2026-11-23")]
    [InlineData(ColumnType.Date, "23 Nov 26", "%d %b %y", "2026-11-23")]
    [InlineData(ColumnType.Date, "November 23, 2026", "%B %d, %Y", "2026-11-23")]
    [InlineData(ColumnType.Date, "23/11/2026", "fmt:%d/%m/%Y", "2026-11-23")]
    [InlineData(ColumnType.Timestamp, "2026-11-23 14:30:15", "%Y-%m-%d %H:%M:%S", "2026-11-23T14:30:15.0000000")]
    [InlineData(ColumnType.Timestamp, "2026-11-23T02:30:15.25 PM", "%Y-%m-%dT%I:%M:%S.%f %p", "2026-11-23T14:30:15.2500000")]
    [InlineData(ColumnType.TimestampTz, "23.11.2026 14:30 +0100", "%d.%m.%Y %H:%M %z", "2026-11-23T13:30:00.0000000Z")]
    [InlineData(ColumnType.TimestampTz, "23.11.2026 14:30 Z", "%d.%m.%Y %H:%M %z", "2026-11-23T14:30:00.0000000Z")]
    [InlineData(ColumnType.TimestampTz, "23.11.2026 14:30", "%d.%m.%Y %H:%M", "2026-11-23T14:30:00.0000000Z")]
    [InlineData(ColumnType.Time, "2:30 PM", "%I:%M %p", "14:30:00.0000000")]
    [InlineData(ColumnType.Time, "100% 14h05", "100%% %Hh%M", "14:05:00.0000000")]
    public void Parses_strptime_patterns(ColumnType type, string text, string format, string iso)
    {
        var value = Parsed(type, text, format);

        var formatted = value switch
        {
            DateOnly date => date.ToString("O"),
            TimeOnly time => time.ToString("O"),
            DateTime moment => moment.ToString("O"),
            _ => throw new InvalidOperationException($"unexpected {value}"),
        };
        Assert.Equal(iso, formatted);
    }

    [Fact]
    public void A_pattern_mismatch_names_the_pattern()
    {
        Assert.Equal("a date in the format %d/%m/%Y", Rejected(ColumnType.Date, "2026-11-23", "%d/%m/%Y"));
        Assert.Equal("a date and time in the format %Y %H", Rejected(ColumnType.TimestampTz, "x", "%Y %H"));
        Assert.Equal("a time in the format %Q", Rejected(ColumnType.Time, "14:30", "%Q"));
    }

    [Fact]
    public void The_any_format_parses_leniently()
    {
        Assert.Equal(1234, Parsed(ColumnType.Integer, "1,234", "any"));
        Assert.Equal(1234.5m, Parsed(ColumnType.Numeric, "1,234.5", "any"));
        Assert.Equal(new DateOnly(2026, 11, 23), Parsed(ColumnType.Date, "11/23/2026", "any"));
        Assert.Equal(new TimeOnly(14, 30), Parsed(ColumnType.Time, "2:30 PM", "any"));
        Assert.Equal(new DateTime(2026, 11, 23, 13, 30, 0, DateTimeKind.Utc), Parsed(ColumnType.TimestampTz, "Nov 23 2026 14:30 +01:00", "any"));
    }

    [Fact]
    public void Default_and_null_formats_are_the_same()
    {
        Assert.Equal(Parsed(ColumnType.Date, "2026-11-23"), Parsed(ColumnType.Date, "2026-11-23", "default"));
        Rejected(ColumnType.Date, "11/23/2026", "default");
    }
}
