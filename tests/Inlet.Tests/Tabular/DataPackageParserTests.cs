using System.Text;
using Inlet.Tabular.Loading;
using Inlet.Tabular.Metadata;

namespace Inlet.Tests.Tabular;

public sealed class DataPackageParserTests
{
    private const string File = "datapackage.json";

    private static IReadOnlyList<DataPackageResource> Parse(string json) => DataPackageParser.Parse(Encoding.UTF8.GetBytes(json), File);

    private static string Error(string json) => Assert.Throws<MetadataException>(() => Parse(json)).Message;

    private static string WithResource(string resource) => $$"""{ "resources": [ {{resource}} ] }""";

    [Fact]
    public void Reads_resources_with_inline_schemas()
    {
        var resources = Parse("""
            {
              "name": "clinic", "licenses": [ { "name": "CC0" } ],
              "resources": [
                { "path": "data/visits.csv", "name": "visits", "title": "Visits", "mode": "append", "encoding": "UTF-8",
                  "dialect": { "delimiter": ";" },
                  "schema": { "name": "ignored", "title": "Schema title", "description": "From the schema", "mode": "replace",
                              "dialect": { "delimiter": ",", "header": false },
                              "fields": [ { "name": "id", "type": "integer" } ], "primaryKey": "id" } },
                { "path": "./patients.csv" }
              ]
            }
            """);

        Assert.Equal(2, resources.Count);
        var visits = resources[0];
        Assert.Equal("data/visits.csv", visits.Path);
        Assert.Equal(("visits", "Visits", "From the schema", LoadMode.Append), (visits.Table.Name, visits.Table.Title, visits.Table.Description, visits.Table.Mode));
        Assert.Equal((';', false), (visits.Table.Delimiter, visits.Table.Header));
        Assert.Equal(ColumnType.BigInt, visits.Table.Fields.Single().Type);
        Assert.Equal(["id"], visits.Table.PrimaryKey);
        var patients = resources[1];
        Assert.Equal("patients.csv", patients.Path);
        Assert.Empty(patients.Table.Fields);
        Assert.Equal((null, LoadMode.Replace, true), (patients.Table.Name, patients.Table.Mode, patients.Table.Header));
        Assert.Equal([""], patients.Table.MissingValues);
    }

    [Fact]
    public void The_schemas_name_is_used_when_the_resource_has_none()
    {
        var resource = Parse(WithResource("""{ "path": "a.csv", "schema": { "name": "from_schema", "fields": [ { "name": "x" } ] } }""")).Single();

        Assert.Equal("from_schema", resource.Table.Name);
    }

    [Fact]
    public void Schema_errors_carry_the_path_inside_the_package()
    {
        var message = Error(WithResource("""{ "path": "a.csv", "schema": { "fields": [ { "name": "x", "type": "int" } ] } }"""));

        Assert.StartsWith("datapackage.json: resources[0].schema.fields[0].type is \"int\"; expected one of string", message);
    }

    private const string PathExpectation = "expected a relative path to one file in the package, such as \"data/visits.csv\"; only local single-file paths are supported";

    [Theory]
    [InlineData("""{ "name": "x" }""", "resources[0].path is missing")]
    [InlineData("""{ "path": ["a.csv", "b.csv"] }""", "resources[0].path is an array")]
    [InlineData("""{ "path": "https://example.org/a.csv" }""", "resources[0].path is \"https://example.org/a.csv\"")]
    [InlineData("""{ "path": "/etc/passwd" }""", "resources[0].path is \"/etc/passwd\"")]
    [InlineData("""{ "path": "../secret.csv" }""", "resources[0].path is \"../secret.csv\"")]
    [InlineData("""{ "path": "data/../../x.csv" }""", "resources[0].path is \"data/../../x.csv\"")]
    [InlineData("""{ "path": "data\\x.csv" }""", "resources[0].path is \"data\\\\x.csv\"")]
    [InlineData("""{ "path": "C:/x.csv" }""", "resources[0].path is \"C:/x.csv\"")]
    [InlineData("""{ "path": "" }""", "resources[0].path is \"\"")]
    [InlineData("""{ "path": "data//x.csv" }""", "resources[0].path is \"data//x.csv\"")]
    public void Only_local_single_file_paths_are_supported(string resource, string found)
    {
        Assert.Equal($"datapackage.json: {found}; {PathExpectation}", Error(WithResource(resource)));
    }

    [Theory]
    [InlineData("""{ "path": "a.csv", "schema": "visits.schema.json" }""",
        "resources[0].schema is \"visits.schema.json\"; expected an inline Table Schema object; inline schemas only, not references to other files")]
    [InlineData("""{ "path": "a.csv", "mode": "merge" }""", "resources[0].mode is \"merge\"; expected \"replace\" or \"append\"")]
    [InlineData("""{ "path": "a.csv", "dialect": { "delimiter": "" } }""", "resources[0].dialect.delimiter is \"\"; expected a single character other than a quote or line break")]
    [InlineData("""{ "path": "a.csv", "encoding": "latin1" }""", "resources[0].encoding is \"latin1\"; expected \"utf-8\"; save the file as UTF-8")]
    [InlineData("""{ "path": "a.csv", "name": 3 }""", "resources[0].name is 3; expected a string")]
    [InlineData("""{ "path": "a.csv" }, { "path": "./a.csv" }""", "resources[1].path is \"a.csv\" again; each file may be loaded by one resource only")]
    [InlineData("""7""", "resources[0] is 7; expected an object")]
    public void Resource_errors_name_their_path(string resources, string message)
    {
        Assert.Equal($"datapackage.json: {message}", Error(WithResource(resources)));
    }

    [Theory]
    [InlineData("{}", "datapackage.json: resources is missing; expected a non-empty array of resources")]
    [InlineData("""{ "resources": [] }""", "datapackage.json: resources is an array; expected a non-empty array of resources")]
    [InlineData("""{ "resources": "a.csv" }""", "datapackage.json: resources is \"a.csv\"; expected a non-empty array of resources")]
    [InlineData("\"x\"", "datapackage.json: the top level is \"x\"; expected an object")]
    public void Package_errors_name_the_file(string json, string message)
    {
        Assert.Equal(message, Error(json));
    }

    [Fact]
    public void Malformed_json_names_its_line()
    {
        Assert.StartsWith("datapackage.json: not valid JSON at line 2", Error("{\n  resources: []\n}"));
    }

    [Fact]
    public void Files_over_1_MiB_are_rejected()
    {
        var bytes = new byte[2 * 1024 * 1024];

        Assert.Throws<MetadataException>(() => DataPackageParser.Parse(bytes, File));
    }
}
