using Inlet.Tabular.Loading;

namespace Inlet.Tests.Tabular;

public sealed class CsvSnifferTests
{
    private static CsvDialect Sniff(string text) => CsvSniffer.Sniff(text, isWholeFile: true);

    [Theory]
    [InlineData("id,name,score\n1,Ann,2.5\n2,Bob,3.5\n", ',')]
    [InlineData("id;name;score\n1;Ann;2,5\n2;Bob;3,5\n", ';')]
    [InlineData("id\tname\tscore\n1\tAnn, Lee\t2.5\n2\tBob\t3.5\n", '\t')]
    [InlineData("id|name|score\n1|Ann|2.5\n2|Bob|3.5\n", '|')]
    [InlineData("id name score\n1 Ann 2.5\n2 Bob 3.5\n3 Cy 1\n", ' ')]
    [InlineData("name,note\n\"Lee, Ann\",\"a; b; c\"\n\"Roe, Bob\",\"d; e\"\n", ',')]
    public void Detects_the_delimiter(string text, char expected) => Assert.Equal(expected, Sniff(text).Delimiter);

    [Fact]
    public void Detects_comma_space_single_quotes_and_backslash_escapes()
    {
        Assert.True(Sniff("id, name, score\n1, Ann, 2.5\n2, Bob, 3.5\n").SpaceAfterDelimiter);
        Assert.Equal('\'', Sniff("id,name\n1,'Lee, Ann'\n2,'Roe, Bob'\n3,'Cy, Dee'\n").Quote);
        Assert.Equal('\\', Sniff("id,quote\n1,\"He said \\\"hi\\\", then left\"\n2,\"plain\"\n3,\"x \\\"y\\\"\"\n").Escape);
    }

    [Fact]
    public void Finds_a_preamble_before_the_header()
    {
        var dialect = Sniff("Export of visits\nGenerated 2026-11-30 by SiteTool\n\nid,site,weight\n1,3,70.5\n2,4,80.1\n3,5,66\n");
        Assert.Equal(2, dialect.PreambleLines);
        Assert.True(dialect.Header);
    }

    [Fact]
    public void Tells_a_header_from_a_first_row_of_data()
    {
        Assert.True(Sniff("id,weight,day\n1,70.5,2026-01-02\n2,80.1,2026-01-03\n3,66,2026-01-04\n").Header);
        Assert.False(Sniff("1,70.5,2026-01-02\n2,80.1,2026-01-03\n3,66,2026-01-04\n4,70,2026-01-05\n").Header);
        Assert.True(Sniff("name,city\nAnn,Oslo\nBob,Rome\n").Header); // all text: a header is the safe reading
    }

    [Fact]
    public void Finds_a_header_spread_over_two_rows()
    {
        var dialect = Sniff("id,weight,,height\n,kg,lb,cm\n1,70,154,180\n2,80,176,175\n3,66,145,170\n");
        Assert.Equal(2, dialect.HeaderRows);
    }

    [Fact]
    public void Columns_with_missing_value_tokens_and_boolean_pairs_keep_their_types()
    {
        static ColumnTypeInference Infer(params string[] values)
        {
            var inference = new ColumnTypeInference();
            foreach (var v in values)
                inference.Observe(v);
            return inference;
        }
        Assert.Equal(ColumnType.Integer, Infer("1", "NA", "3", ".", "-", "NULL").Result);
        Assert.Equal(ColumnType.Numeric, Infer("1.5", "N/A", "NaN").Result);
        Assert.Equal(ColumnType.Text, Infer("abc", "NA").Result);
        Assert.Equal(ColumnType.Boolean, Infer("t", "f", "T").Result);
        Assert.Equal(ColumnType.Boolean, Infer("yes", "No", "NA").Result);
        Assert.Equal(ColumnType.Boolean, Infer("Y", "N").Result);
        Assert.Equal(ColumnType.Text, Infer("t", "no").Result);
        Assert.True(Infer("yes", "no").Booleans.TryParse("YES", out var yes) && yes);
    }
}
