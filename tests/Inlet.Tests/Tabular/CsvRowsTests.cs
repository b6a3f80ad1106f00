using System.Text;
using Inlet.Tabular.Loading;

namespace Inlet.Tests.Tabular;

public sealed class CsvRowsTests
{
    private static List<(long Line, string[] Fields, string? Problem, string Raw)> Read(string text, CsvDialect? dialect = null)
    {
        using var rows = new CsvRows(new StringReader(text), dialect ?? CsvDialect.Default);
        var records = new List<(long, string[], string?, string)>();
        while (rows.Read())
            records.Add((rows.Line, Enumerable.Range(0, rows.FieldCount).Select(rows.GetString).ToArray(), rows.Problem, rows.Raw.ToString()));
        return records;
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4\n")]
    [InlineData("a,b\r\n1,2\r\n3,4\r\n")]
    [InlineData("a,b\r1,2\r3,4\r")]
    [InlineData("a,b\n1,2\n3,4")]
    public void Reads_every_line_ending_with_physical_line_numbers(string text)
    {
        var records = Read(text);
        Assert.Equal([1L, 2, 3], records.Select(r => r.Line));
        Assert.Equal(["3", "4"], records[2].Fields);
    }

    [Fact]
    public void Quoted_values_hold_delimiters_doubled_quotes_and_line_breaks_and_later_lines_stay_right()
    {
        var records = Read("a,b\n\"x, \"\"y\"\"\nz\",2\n\n3,4\n");
        Assert.Equal(["x, \"y\"\nz", "2"], records[1].Fields);
        Assert.Equal(5, records[2].Line); // the blank line 4 is skipped but counted
        Assert.All(records, r => Assert.Null(r.Problem));
    }

    [Fact]
    public void A_stray_quote_costs_its_own_line_not_the_rest_of_the_file()
    {
        var records = Read("a,b\n1,\"broken\n2,x\n3,y\n");
        Assert.Equal(4, records.Count);
        Assert.NotNull(records[1].Problem);
        Assert.Equal(2, records[1].Line);
        Assert.Equal("1,\"broken", records[1].Raw);
        Assert.Equal(3, records[2].Line);
        Assert.Equal(["2", "x"], records[2].Fields);
        Assert.Equal(4, records[3].Line);
        Assert.Equal(["3", "y"], records[3].Fields);
    }

    [Fact]
    public void Text_after_a_closing_quote_is_a_problem_of_that_row_only()
    {
        var records = Read("a,b\n1,\"x\"y\n2,z\n");
        Assert.Contains("column 2", records[1].Problem);
        Assert.Null(records[2].Problem);
    }

    [Fact]
    public void A_quote_inside_an_unquoted_value_is_literal()
    {
        var records = Read("a,b\n5\" disk,1\n");
        Assert.Equal(["5\" disk", "1"], records[1].Fields);
        Assert.Null(records[1].Problem);
    }

    [Fact]
    public void Lines_starting_with_a_hash_are_data()
    {
        Assert.Equal(["#1", "2"], Read("a,b\n#1,2\n")[1].Fields);
    }

    [Fact]
    public void Backslash_escapes_and_single_quotes_and_space_after_delimiter()
    {
        Assert.Equal(["x\"y", "2"], Read("a,b\n\"x\\\"y\",2\n", CsvDialect.Default with { Escape = '\\' })[1].Fields);
        Assert.Equal(["x,y", "2"], Read("a,b\n'x,y',2\n", CsvDialect.Default with { Quote = '\'', Escape = '\'' })[1].Fields);
        Assert.Equal(["1", "two, three", "4"], Read("a, b, c\n1, \"two, three\", 4\n", CsvDialect.Default with { SpaceAfterDelimiter = true })[1].Fields);
    }

    [Fact]
    public void Reads_a_10_MB_value()
    {
        var big = new string('x', 10 * 1024 * 1024);
        Assert.Equal(big.Length, Read($"a,b\n1,\"{big}\"\n")[1].Fields[1].Length);
    }

    [Fact]
    public void More_columns_than_PostgreSQL_allows_is_an_error_naming_the_line()
    {
        var e = Assert.Throws<CsvFormatException>(() => Read("a\n" + string.Join(',', Enumerable.Range(0, 1601)) + "\n"));
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Invalid_bytes_in_a_strict_encoding_name_the_line()
    {
        var bytes = Encoding.UTF8.GetBytes("a,b\n1,2\n").Concat(new byte[] { 0x33, 0x2C, 0xFF, 0x0A }).ToArray();
        using var rows = new CsvRows(new StreamReader(new MemoryStream(bytes), TextEncodings.ForReading(TextEncodings.Utf8, out var invalid)), CsvDialect.Default, invalid: invalid);
        Assert.True(rows.Read());
        Assert.True(rows.Read());
        var e = Assert.Throws<CsvFormatException>(() => rows.Read());
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Encoding_check_tells_utf8_from_windows_1252_across_chunk_boundaries()
    {
        var utf8 = Encoding.UTF8.GetBytes("name\nZoë, café, naïve, 東京\n");
        for (var cut = 1; cut < utf8.Length; cut++)
        {
            var check = new EncodingCheck();
            check.Observe(utf8.AsSpan(0, cut));
            check.Observe(utf8.AsSpan(cut));
            check.Complete();
            Assert.True(check.IsUtf8, $"cut at {cut}");
        }
        var latin = Encoding.Latin1.GetBytes("name\nZoë, café\n");
        var other = new EncodingCheck();
        other.Observe(latin);
        other.Complete();
        Assert.False(other.IsUtf8);
        Assert.True(other.IsClean1252);
        var neither = new EncodingCheck();
        neither.Observe([0x61, 0x81, 0x0A]);
        neither.Complete();
        Assert.False(neither.IsClean1252);
    }
}
