using Inlet.BuildingBlocks.Text;
using Inlet.Tabular.ExportTable;
using Xunit;

namespace Inlet.Tabular.Tests;

/// <summary>
/// The spreadsheet-safe CSV (issue #32, ADR 33): the rule (shared with the audit's CSV) and the streaming rewrite of
/// PostgreSQL's CSV output that applies it to text columns only.
/// </summary>
public sealed class SpreadsheetSafeCsvTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")")]
    [InlineData("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0")]
    [InlineData("+1+1", "'+1+1")]
    [InlineData("-1+1", "'-1+1")]
    [InlineData("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0")]
    [InlineData("@SUM(1+1)", "'@SUM(1+1)")]
    [InlineData("\t=1", "'\t=1")]
    [InlineData("\r=1", "'\r=1")]
    [InlineData("a=1", "a=1")]
    [InlineData(" =1", " =1")]
    [InlineData("'quoted", "'quoted")]
    [InlineData("", "")]
    public void A_text_cell_that_would_run_as_a_formula_gets_a_leading_apostrophe(string text, string expected)
    {
        Assert.Equal(expected, SpreadsheetText.Cell(text));
    }

    private static string Safe(string csv, bool[] guarded, int chunk = int.MaxValue)
    {
        var safe = new SpreadsheetSafeCsv(guarded);
        var result = new System.Text.StringBuilder();
        for (var at = 0; at < csv.Length; at += chunk)
        {
            var part = csv.AsSpan(at, Math.Min(chunk, csv.Length - at));
            var output = new char[SpreadsheetSafeCsv.MaxOutput(part.Length)];
            result.Append(output, 0, safe.Transform(part, output));
        }
        return result.ToString();
    }

    // As PostgreSQL writes it: quoted only where a value holds a comma, quote or line break; NULL as nothing, '' as "".
    private const string Export =
        "id,note,amount,link\n"
        + "1,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",-5,=cmd|' /C calc'!A0\n"
        + "2,+1+1,-0.5,@SUM(1+1)\n"
        + "3,\"\"\"=quoted\",,\"\r=2\"\n"
        + "4,\t-1,7,\n"
        + "5,\"two\nlines\",8,\"a,b\"\n"
        + "6,\"\",9,-\n";

    private const string Expected =
        "id,note,amount,link\n"
        + "1,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",-5,'=cmd|' /C calc'!A0\n"
        + "2,'+1+1,-0.5,'@SUM(1+1)\n"
        + "3,\"\"\"=quoted\",,\"'\r=2\"\n"
        + "4,'\t-1,7,\n"
        + "5,\"two\nlines\",8,\"a,b\"\n"
        + "6,\"\",9,'-\n";

    private static readonly bool[] TextColumns = [false, true, false, true];

    [Fact]
    public void Text_columns_are_guarded_and_numbers_the_header_and_everything_else_pass_unchanged()
    {
        Assert.Equal(Expected, Safe(Export, TextColumns));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Chunks_of_any_size_give_the_same_output(int chunk)
    {
        Assert.Equal(Expected, Safe(Export, TextColumns, chunk));
    }

    [Fact]
    public void Rows_ending_in_CRLF_are_not_guarded_at_their_line_end()
    {
        Assert.Equal("a,b\r\n'=1,\r\n,'+2\r\n", Safe("a,b\r\n=1,\r\n,+2\r\n", [true, true]));
    }

    [Fact]
    public void A_table_whose_columns_are_all_numbers_comes_out_byte_for_byte()
    {
        const string numbers = "a,b\n-1,-2\n+3,=4\n";
        Assert.Equal(numbers, Safe(numbers, [false, false]));
    }
}
