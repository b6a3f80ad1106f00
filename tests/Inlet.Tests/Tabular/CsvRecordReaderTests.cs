using System.Text;
using Inlet.Tabular.Loading;
using static Inlet.Tests.Tabular.CsvTestReading;

namespace Inlet.Tests.Tabular;

public sealed class CsvRecordReaderTests
{
    [Fact]
    public async Task Reads_records_and_fields_with_their_lines()
    {
        var records = await ReadAll("id,name\n1,Ada\n2,Grace\n");

        Assert.Equal([["id", "name"], ["1", "Ada"], ["2", "Grace"]], records.Select(r => r.Fields));
        Assert.Equal([1L, 2, 3], records.Select(r => r.Line));
    }

    [Theory]
    [InlineData("a,b\r\n1,2\r\n")]
    [InlineData("a,b\n1,2\n")]
    [InlineData("a,b\r1,2\r")]
    [InlineData("a,b\n1,2")]
    [InlineData("a,b\r\n1,2")]
    public async Task Accepts_every_line_ending(string text)
    {
        var records = await ReadAll(text);

        Assert.Equal([["a", "b"], ["1", "2"]], records.Select(r => r.Fields));
        Assert.Equal([1L, 2], records.Select(r => r.Line));
    }

    [Fact]
    public async Task Strips_the_byte_order_mark()
    {
        var records = await ReadAll([0xEF, 0xBB, 0xBF, .. "id,name\n1,x\n"u8]);

        Assert.Equal("id", records[0].Fields[0]);
    }

    [Fact]
    public async Task Keeps_a_byte_order_mark_that_is_not_at_the_start()
    {
        var records = await ReadAll("a\n\uFEFFb\n");

        Assert.Equal("\uFEFFb", records[1].Fields[0]);
    }

    [Fact]
    public async Task Quoted_fields_hold_delimiters_doubled_quotes_and_line_breaks_and_later_lines_stay_right()
    {
        var records = await ReadAll("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\"one\r\ntwo\nthree\rfour\",z\nlast,1\n");

        Assert.Equal(["x, y", "say \"hi\""], records[1].Fields);
        Assert.Equal(["one\r\ntwo\nthree\rfour", "z"], records[2].Fields);
        Assert.Equal(["last", "1"], records[3].Fields);
        Assert.Equal([1L, 2, 3, 7], records.Select(r => r.Line));
    }

    [Fact]
    public async Task A_quote_inside_an_unquoted_field_is_literal()
    {
        var records = await ReadAll("size,label\n5\" disk,a\"b\"\n");

        Assert.Equal(["5\" disk", "a\"b\""], records[1].Fields);
    }

    [Fact]
    public async Task Keeps_spaces_empty_fields_and_whitespace_only_lines()
    {
        var records = await ReadAll("a,b,c\n , ,\n,,\n   \n");

        Assert.Equal([["a", "b", "c"], [" ", " ", ""], ["", "", ""], ["   "]], records.Select(r => r.Fields));
    }

    [Fact]
    public async Task Skips_empty_lines_but_counts_them()
    {
        var records = await ReadAll("\n\na,b\r\n\r\n\n1,2\n\n");

        Assert.Equal([["a", "b"], ["1", "2"]], records.Select(r => r.Fields));
        Assert.Equal([3L, 6], records.Select(r => r.Line));
    }

    [Fact]
    public async Task An_empty_quoted_field_is_an_empty_string()
    {
        var records = await ReadAll("a,\"\",\"\"\n");

        Assert.Equal(["a", "", ""], records[0].Fields);
    }

    [Fact]
    public async Task An_empty_file_has_no_records()
    {
        Assert.Empty(await ReadAll(""));
        Assert.Empty(await ReadAll([0xEF, 0xBB, 0xBF]));
    }

    [Fact]
    public async Task An_unclosed_quote_names_the_line_where_the_field_starts()
    {
        var error = await Assert.ThrowsAsync<CsvFormatException>(() => ReadAll("a,b\n1,2\n3,\"open\nmore\nlines\n"));

        Assert.Equal(3, error.Line);
        Assert.Equal(2, error.Column);
        Assert.Contains("never closed", error.Message);
    }

    [Fact]
    public async Task Text_after_a_closing_quote_names_line_and_column()
    {
        var error = await Assert.ThrowsAsync<CsvFormatException>(() => ReadAll("a,b,c\n1,\"x\ny\",\"abc\"x,4\n"));

        Assert.Equal(3, error.Line);
        Assert.Equal(3, error.Column);
        Assert.StartsWith("Line 3, column 3: ", error.Message);
    }

    [Fact]
    public async Task Invalid_utf8_names_its_line()
    {
        byte[] bytes = [.. "a,b\n1,2\n3,"u8, 0xC3, 0x28, .. "\n"u8];

        var error = await Assert.ThrowsAsync<CsvFormatException>(() => ReadAll(bytes));

        Assert.Equal(3, error.Line);
        Assert.Contains("not valid UTF-8", error.Message);
    }

    [Fact]
    public async Task A_truncated_multibyte_character_at_the_end_is_invalid_utf8()
    {
        byte[] bytes = [.. "a\n"u8, 0xE2, 0x82];

        var error = await Assert.ThrowsAsync<CsvFormatException>(() => ReadAll(bytes));

        Assert.Equal(2, error.Line);
    }

    [Fact]
    public async Task Multibyte_characters_split_across_reads_decode()
    {
        var value = string.Concat(Enumerable.Repeat("é日😀", 30_000));
        await using var reader = new CsvRecordReader(new TrickleStream(Encoding.UTF8.GetBytes($"name,n\n{value},1\n"), 7));

        Assert.True(await reader.ReadAsync());
        Assert.True(await reader.ReadAsync());
        Assert.Equal([value, "1"], reader.Fields);
    }

    [Fact]
    public async Task A_crlf_split_across_buffer_refills_is_one_line_break()
    {
        // 64 Ki characters fill the buffer exactly, so the CR ends one refill and the LF starts the next.
        var first = new string('x', 64 * 1024 - 1);
        var records = await ReadAll($"{first}\r\nnext\r\nlast\n", new CsvReaderOptions { Delimiter = ',' });

        Assert.Equal([1L, 2, 3], records.Select(r => r.Line));
    }

    [Theory]
    [InlineData("a,b,c\n1,2,3\n", ',')]
    [InlineData("a;b;c\n1,5;2,5;3\n", ';')]
    [InlineData("a\tb\n1,2\t3;4\n", '\t')]
    [InlineData("just one column\nvalue\n", ',')]
    [InlineData("\"a;b\",c\n\"x;y\",z\n", ',')]
    [InlineData("a,b;c\n1,2;3\n", ',')]
    [InlineData("a;b;c,d\n1;2;3\n4;5;6,7\n", ';')]
    [InlineData("", ',')]
    public async Task Detects_the_delimiter(string text, char expected)
    {
        Assert.Equal(expected, await DetectedDelimiter(text));
    }

    [Fact]
    public async Task Detection_does_not_consume_the_text_it_looks_at()
    {
        var records = await ReadAll("a;b\n1;2\n");

        Assert.Equal([["a", "b"], ["1", "2"]], records.Select(r => r.Fields));
    }

    [Fact]
    public async Task A_configured_delimiter_is_used_as_is()
    {
        var records = await ReadAll("a;b,c\n", new CsvReaderOptions { Delimiter = ',' });

        Assert.Equal(["a;b", "c"], records[0].Fields);
    }

    [Fact]
    public async Task A_field_longer_than_the_limit_is_rejected()
    {
        var options = new CsvReaderOptions { MaxFieldChars = 5 };

        Assert.Equal(["12345"], (await ReadAll("12345\n", options))[0].Fields);
        var error = await Assert.ThrowsAsync<CsvFormatException>(() => ReadAll("a,b\nok,\"123456\"\n", options));
        Assert.Equal(2, error.Line);
        Assert.Equal(2, error.Column);
    }

    [Fact]
    public async Task More_columns_than_the_limit_are_rejected()
    {
        var options = new CsvReaderOptions { MaxColumns = 3 };

        Assert.Equal(3, (await ReadAll("a,b,c\n", options))[0].Fields.Length);
        var error = await Assert.ThrowsAsync<CsvFormatException>(() => ReadAll("a,b,c\n1,2,3,4\n", options));
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public async Task PostgreSQLs_column_limit_is_the_default()
    {
        var wide = string.Join(',', Enumerable.Range(0, 1601));

        await Assert.ThrowsAsync<CsvFormatException>(() => ReadAll(wide));
    }

    [Fact]
    public async Task Reads_a_10_MB_field()
    {
        var big = string.Create(10 * 1024 * 1024, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = (char)('a' + i % 26);
        });

        var records = await ReadAll($"id,blob\n1,\"{big}\"\n2,small\n");

        Assert.Equal(big, records[1].Fields[1]);
        Assert.Equal(["2", "small"], records[2].Fields);
        Assert.Equal(3, records[2].Line);
    }

    [Fact]
    public async Task The_delimiter_is_unknown_before_the_first_read()
    {
        await using var reader = new CsvRecordReader(new MemoryStream("a"u8.ToArray()));

        Assert.Throws<InvalidOperationException>(() => reader.Delimiter);
    }

    /// <summary>Hands out a few bytes per read, as a slow network stream would.</summary>
    private sealed class TrickleStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], ct);
    }
}
