using System.Text;
using Inlet.Tabular.Loading;

namespace Inlet.Tests.Tabular;

public sealed class SqlNamesTests
{
    [Theory]
    [InlineData("Customer ID", "customer_id")]
    [InlineData("  Total (EUR) ", "total_eur")]
    [InlineData("__already_snake__", "already_snake")]
    [InlineData("a--b..c", "a_b_c")]
    [InlineData("Café Größe", "café_größe")]
    [InlineData("ÉCOLE", "école")]
    [InlineData("日本語 列", "日本語_列")]
    [InlineData("2024 sales", "c_2024_sales")]
    [InlineData("", "column")]
    [InlineData("!!!", "column")]
    [InlineData("select", "select")]
    [InlineData("order", "order")]
    [InlineData("\"); DROP TABLE x; --", "drop_table_x")]
    [InlineData("Robert'); DROP TABLE students;--", "robert_drop_table_students")]
    public void Column_names_are_lower_snake_case(string header, string expected)
    {
        Assert.Equal(expected, SqlNames.Column(header));
    }

    [Fact]
    public void A_combining_mark_stays_with_its_letter()
    {
        Assert.Equal("cafe\u0301", SqlNames.Column("Cafe\u0301"));
    }

    [Fact]
    public void Names_fit_in_63_bytes_and_cut_on_a_character_boundary()
    {
        var ascii = SqlNames.Column(new string('a', 100));
        var wide = SqlNames.Column(new string('日', 30));
        var emoji = SqlNames.Column("x" + string.Concat(Enumerable.Repeat("𠀀", 20)));

        Assert.Equal(new string('a', 63), ascii);
        Assert.Equal(new string('日', 21), wide);
        Assert.Equal(61, Encoding.UTF8.GetByteCount(emoji));
        Assert.DoesNotContain('\uFFFD', Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(emoji)));
    }

    [Fact]
    public void A_cut_name_does_not_end_in_an_underscore()
    {
        Assert.Equal(new string('a', 62), SqlNames.Column(new string('a', 62) + " b"));
    }

    [Fact]
    public void Duplicate_columns_get_numbers()
    {
        Assert.Equal(["id", "name", "id_2", "id_3"], SqlNames.Columns(["id", "Name", "ID", "id "]));
    }

    [Fact]
    public void Generated_names_do_not_take_an_existing_name()
    {
        Assert.Equal(["id", "id_3", "id_2"], SqlNames.Columns(["id", "id", "id_2"]));
        Assert.Equal(["column_2", "column_2_2"], SqlNames.Columns(["column_2", ""]));
    }

    [Fact]
    public void Empty_headers_are_named_by_position()
    {
        Assert.Equal(["a", "column_2", "column_3"], SqlNames.Columns(["a", "", "?"]));
    }

    [Fact]
    public void Numbered_duplicates_still_fit_in_63_bytes()
    {
        var long_ = new string('x', 80);

        var names = SqlNames.Columns([long_, long_]);

        Assert.Equal(new string('x', 63), names[0]);
        Assert.Equal(new string('x', 61) + "_2", names[1]);
    }

    [Theory]
    [InlineData("Sales 2024.csv", "sales_2024_csv")]
    [InlineData("pg_catalog", "t_pg_catalog")]
    [InlineData("PG_Stats", "t_pg_stats")]
    [InlineData("_inlet_tables", "inlet_tables")]
    [InlineData("", "table")]
    [InlineData("2024", "c_2024")]
    [InlineData("x\"; DROP TABLE users; --", "x_drop_table_users")]
    public void Table_names_avoid_reserved_prefixes(string name, string expected)
    {
        Assert.Equal(expected, SqlNames.Table(name));
    }

    [Theory]
    [InlineData("select", "\"select\"")]
    [InlineData("a\"b", "\"a\"\"b\"")]
    [InlineData("\"); DROP TABLE x; --", "\"\"\"); DROP TABLE x; --\"")]
    public void Quoting_doubles_quotes(string identifier, string expected)
    {
        Assert.Equal(expected, SqlNames.Quote(identifier));
    }

    [Fact]
    public void Quoting_refuses_what_PostgreSQL_cannot_name()
    {
        Assert.Throws<ArgumentException>(() => SqlNames.Quote(""));
        Assert.Throws<ArgumentException>(() => SqlNames.Quote("a\0b"));
    }
}
