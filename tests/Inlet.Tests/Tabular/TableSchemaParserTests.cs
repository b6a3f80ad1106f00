using System.Text;
using Inlet.Tabular.Loading;
using Inlet.Tabular.Metadata;

namespace Inlet.Tests.Tabular;

public sealed class TableSchemaParserTests
{
    private const string File = "visits.schema.json";

    private static TableDefinition Parse(string json) => TableSchemaParser.Parse(Encoding.UTF8.GetBytes(json), File);

    private static string Error(string json) => Assert.Throws<MetadataException>(() => Parse(json)).Message;

    [Fact]
    public void Reads_a_full_schema()
    {
        var table = Parse("""
            {
              "name": "visits", "title": "Visits", "description": "One row a visit", "mode": "append",
              "dialect": { "delimiter": ";", "header": false },
              "missingValues": ["", "NA"],
              "primaryKey": ["id"],
              "unknownExtension": { "ignored": true },
              "fields": [
                { "name": "id", "type": "integer", "title": "Visit", "description": "Key",
                  "constraints": { "required": true, "unique": true, "minimum": 1, "maximum": "1e6" } },
                { "name": "kind", "constraints": { "enum": ["a", "b"], "minLength": 1, "maxLength": 3, "pattern": "[a-z]+" } },
                { "name": "on", "type": "date", "format": "%d/%m/%Y" },
                { "name": "paid", "type": "boolean", "trueValues": ["yes"], "falseValues": ["no"] },
                { "name": "level", "type": "integer", "constraints": { "enum": [1, 2] } }
              ]
            }
            """);

        Assert.Equal(("visits", "Visits", "One row a visit", LoadMode.Append), (table.Name, table.Title, table.Description, table.Mode));
        Assert.Equal((';', false), (table.Delimiter, table.Header));
        Assert.Equal(["", "NA"], table.MissingValues);
        Assert.Equal(["id"], table.PrimaryKey);
        Assert.Equal(
            new FieldDefinition("id", ColumnType.BigInt, null, "Visit", "Key", true, true, null, null, null, 1m, 1_000_000m, null, null, null),
            table.Fields[0]);
        var kind = table.Fields[1];
        Assert.Equal((ColumnType.Text, 1, 3, "[a-z]+"), (kind.Type, kind.MinLength, kind.MaxLength, kind.Pattern));
        Assert.Equal(["a", "b"], kind.Enum!);
        Assert.Equal((ColumnType.Date, "%d/%m/%Y"), (table.Fields[2].Type, table.Fields[2].Format));
        Assert.Equal(["yes"], table.Fields[3].TrueValues!);
        Assert.Equal(["no"], table.Fields[3].FalseValues!);
        Assert.Equal(["1", "2"], table.Fields[4].Enum!);
    }

    [Fact]
    public void Applies_the_defaults()
    {
        var table = Parse("""{ "fields": [ { "name": "a" } ] }""");

        Assert.Equal(new FieldDefinition("a", ColumnType.Text, null, null, null, false, false, null, null, null, null, null, null, null, null), table.Fields[0]);
        Assert.Equal((null, LoadMode.Replace, null, true), (table.Name, table.Mode, table.Delimiter, table.Header));
        Assert.Equal([""], table.MissingValues);
        Assert.Empty(table.PrimaryKey);
    }

    [Theory]
    [InlineData("string", ColumnType.Text)]
    [InlineData("integer", ColumnType.BigInt)]
    [InlineData("number", ColumnType.Numeric)]
    [InlineData("boolean", ColumnType.Boolean)]
    [InlineData("date", ColumnType.Date)]
    [InlineData("datetime", ColumnType.TimestampTz)]
    [InlineData("time", ColumnType.Time)]
    [InlineData("year", ColumnType.Integer)]
    [InlineData("any", ColumnType.Text)]
    [InlineData("object", ColumnType.Text)]
    [InlineData("array", ColumnType.Text)]
    [InlineData("duration", ColumnType.Text)]
    [InlineData("yearmonth", ColumnType.Text)]
    [InlineData("geopoint", ColumnType.Text)]
    [InlineData("geojson", ColumnType.Text)]
    public void Maps_Frictionless_types(string type, ColumnType expected)
    {
        Assert.Equal(expected, Parse($$"""{ "fields": [ { "name": "a", "type": "{{type}}" } ] }""").Fields[0].Type);
    }

    [Fact]
    public void A_primary_key_may_be_one_string()
    {
        Assert.Equal(["a"], Parse("""{ "fields": [ { "name": "a" } ], "primaryKey": "a" }""").PrimaryKey);
    }

    [Fact]
    public void Names_file_path_and_expectation_for_an_unknown_type()
    {
        var message = Error("""{ "fields": [ { "name": "a" }, { "name": "b" }, { "name": "c", "type": "int" } ] }""");

        Assert.StartsWith("visits.schema.json: fields[2].type is \"int\"; expected one of string, integer, number, boolean, date, datetime, time, year, any", message);
    }

    [Theory]
    [InlineData("[]", "visits.schema.json: the top level is an array; expected an object")]
    [InlineData("{}", "visits.schema.json: fields is missing; expected a non-empty array of field descriptors")]
    [InlineData("""{ "fields": [] }""", "visits.schema.json: fields is an array; expected a non-empty array of field descriptors")]
    [InlineData("""{ "fields": {} }""", "visits.schema.json: fields is an object; expected a non-empty array of field descriptors")]
    [InlineData("""{ "fields": [ "a" ] }""", "visits.schema.json: fields[0] is \"a\"; expected an object")]
    [InlineData("""{ "fields": [ {} ] }""", "visits.schema.json: fields[0].name is missing; expected a non-empty string")]
    [InlineData("""{ "fields": [ { "name": "" } ] }""", "visits.schema.json: fields[0].name is \"\"; expected a non-empty string")]
    [InlineData("""{ "fields": [ { "name": 5 } ] }""", "visits.schema.json: fields[0].name is 5; expected a string")]
    [InlineData("""{ "fields": [ { "name": "a", "type": 5 } ] }""", "visits.schema.json: fields[0].type is 5; expected a string")]
    [InlineData("""{ "fields": [ { "name": "a" }, { "name": "a" } ] }""", "visits.schema.json: fields[1].name is \"a\" again; field names must be unique")]
    [InlineData("""{ "fields": [ { "name": "a" } ], "primaryKey": "b" }""", "visits.schema.json: primaryKey is \"b\", which names no field; expected one of a")]
    [InlineData("""{ "fields": [ { "name": "a" } ], "primaryKey": ["a", "b"] }""", "visits.schema.json: primaryKey[1] is \"b\", which names no field; expected one of a")]
    [InlineData("""{ "fields": [ { "name": "a" } ], "primaryKey": 1 }""", "visits.schema.json: primaryKey is 1; expected an array of strings")]
    [InlineData("""{ "fields": [ { "name": "a" } ], "mode": "upsert" }""", "visits.schema.json: mode is \"upsert\"; expected \"replace\" or \"append\"")]
    [InlineData("""{ "fields": [ { "name": "a" } ], "missingValues": [1] }""", "visits.schema.json: missingValues[0] is 1; expected a string")]
    [InlineData("""{ "fields": [ { "name": "a" } ], "dialect": { "delimiter": ";;" } }""", "visits.schema.json: dialect.delimiter is \";;\"; expected a single character other than a quote or line break")]
    [InlineData("""{ "fields": [ { "name": "a" } ], "dialect": { "header": "yes" } }""", "visits.schema.json: dialect.header is \"yes\"; expected true or false")]
    [InlineData("""{ "fields": [ { "name": "a" } ], "dialect": 1 }""", "visits.schema.json: dialect is 1; expected an object")]
    [InlineData("""{ "fields": [ { "name": "a", "constraints": [] } ] }""", "visits.schema.json: fields[0].constraints is an array; expected an object")]
    [InlineData("""{ "fields": [ { "name": "a", "constraints": { "required": 1 } } ] }""", "visits.schema.json: fields[0].constraints.required is 1; expected true or false")]
    [InlineData("""{ "fields": [ { "name": "a", "constraints": { "minimum": "2020-01-01" } } ] }""", "visits.schema.json: fields[0].constraints.minimum is \"2020-01-01\"; expected a number")]
    [InlineData("""{ "fields": [ { "name": "a", "constraints": { "maxLength": -1 } } ] }""", "visits.schema.json: fields[0].constraints.maxLength is -1; expected a whole number of 0 or more")]
    [InlineData("""{ "fields": [ { "name": "a", "constraints": { "enum": [] } } ] }""", "visits.schema.json: fields[0].constraints.enum is an array; expected a non-empty array of values")]
    [InlineData("""{ "fields": [ { "name": "a", "constraints": { "enum": [null] } } ] }""", "visits.schema.json: fields[0].constraints.enum[0] is null; expected a string, number or boolean")]
    [InlineData("""{ "fields": [ { "name": "a", "trueValues": "yes" } ] }""", "visits.schema.json: fields[0].trueValues is \"yes\"; expected an array of strings")]
    public void Every_error_names_the_file_path_and_expectation(string json, string message)
    {
        Assert.Equal(message, Error(json));
    }

    [Fact]
    public void An_invalid_pattern_is_rejected()
    {
        Assert.StartsWith("visits.schema.json: fields[0].constraints.pattern is \"[a-\"; expected a regular expression",
            Error("""{ "fields": [ { "name": "a", "constraints": { "pattern": "[a-" } } ] }"""));
    }

    [Fact]
    public void An_unsupported_date_pattern_is_rejected_before_loading()
    {
        Assert.StartsWith("visits.schema.json: fields[0].format is \"%d.%j\"; expected \"default\", \"any\" or a pattern such as %d/%m/%Y (%j is not supported",
            Error("""{ "fields": [ { "name": "a", "type": "date", "format": "%d.%j" } ] }"""));
    }

    [Fact]
    public void Formats_of_non_temporal_types_are_kept_unchecked()
    {
        Assert.Equal("email", Parse("""{ "fields": [ { "name": "a", "format": "email" } ] }""").Fields[0].Format);
    }

    [Fact]
    public void Malformed_json_names_its_line()
    {
        var message = Error("{\n  \"fields\": [\n    { \"name\": \"a\" },\n  ]\n}");

        Assert.StartsWith("visits.schema.json: not valid JSON at line 4", message);
    }

    [Fact]
    public void A_byte_order_mark_is_accepted()
    {
        var bytes = (byte[])[0xEF, 0xBB, 0xBF, .. """{ "fields": [ { "name": "a" } ] }"""u8];

        Assert.Single(TableSchemaParser.Parse(bytes, File).Fields);
    }

    [Fact]
    public void Files_over_1_MiB_are_rejected_before_parsing()
    {
        var bytes = new byte[1024 * 1024 + 1];

        var message = Assert.Throws<MetadataException>(() => TableSchemaParser.Parse(bytes, File)).Message;

        Assert.Equal("visits.schema.json: the file has 1048577 bytes; metadata files may have at most 1 MiB", message);
    }
}
