using System.Text.Json;

namespace Inlet.Tabular.Metadata;

/// <summary>
/// Reads a Frictionless Data Package descriptor (datapackage.json) whose resources are local CSV files
/// with inline Table Schemas. Resource-level name, title, description, mode and dialect override the schema's.
/// </summary>
public static class DataPackageParser
{
    private static readonly string[] Utf8Names = ["utf-8", "utf8"];

    public static IReadOnlyList<DataPackageResource> Parse(ReadOnlySpan<byte> utf8Json, string fileName)
    {
        using var document = MetadataJson.Parse(utf8Json, fileName);
        var json = new MetadataJson(fileName);
        var package = json.RequireObject(document.RootElement, "");
        const string expected = "a non-empty array of resources";
        if (!MetadataJson.TryGet(package, "resources", out var resources))
            throw json.Error("resources", null, expected);
        if (resources.ValueKind != JsonValueKind.Array || resources.GetArrayLength() == 0)
            throw json.Error("resources", resources, expected);
        var read = resources.EnumerateArray().Select((resource, i) => ReadResource(resource, $"resources[{i}]", json)).ToList();
        RejectRepeatedPaths(read, json);
        return read;
    }

    private static DataPackageResource ReadResource(JsonElement resource, string path, MetadataJson json)
    {
        json.RequireObject(resource, path);
        var filePath = ReadPath(resource, path, json);
        RequireUtf8(resource, path, json);
        var schema = ReadSchema(resource, path, json);
        var (delimiter, header) = TableSchemaParser.ReadDialect(resource, path, json);
        var table = schema with
        {
            Name = json.OptionalString(resource, path, "name") ?? schema.Name,
            Title = json.OptionalString(resource, path, "title") ?? schema.Title,
            Description = json.OptionalString(resource, path, "description") ?? schema.Description,
            Mode = TableSchemaParser.ReadMode(resource, path, json) ?? schema.Mode,
            Delimiter = delimiter ?? schema.Delimiter,
            Header = header ?? schema.Header,
        };
        return new DataPackageResource(filePath, table);
    }

    private static string ReadPath(JsonElement resource, string path, MetadataJson json)
    {
        var pathPath = MetadataJson.Child(path, "path");
        const string expected = "a relative path to one file in the package, such as \"data/visits.csv\"; only local single-file paths are supported";
        if (!MetadataJson.TryGet(resource, "path", out var value))
            throw json.Error(pathPath, null, expected);
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : throw json.Error(pathPath, value, expected);
        var segments = text.Split('/').Where(segment => segment != ".").ToList();
        var isLocalRelative = text.Length > 0 && !text.StartsWith('/') && !text.Contains('\\') && !text.Contains(':')
            && segments.TrueForAll(segment => segment.Length > 0 && segment != "..");
        return isLocalRelative ? string.Join('/', segments) : throw json.Error(pathPath, value, expected);
    }

    // The reader decodes UTF-8 only; other encodings would load as garbage or fail midway.
    private static void RequireUtf8(JsonElement resource, string path, MetadataJson json)
    {
        var encoding = json.OptionalString(resource, path, "encoding");
        if (encoding is not null && !Utf8Names.Contains(encoding, StringComparer.OrdinalIgnoreCase))
            throw json.Error(MetadataJson.Child(path, "encoding"), resource.GetProperty("encoding"), "\"utf-8\"; save the file as UTF-8");
    }

    // Without a schema the columns are inferred from the file.
    private static TableDefinition ReadSchema(JsonElement resource, string path, MetadataJson json)
    {
        if (!MetadataJson.TryGet(resource, "schema", out var schema))
            return new TableDefinition(null, null, null, LoadMode.Replace, [], [""], [], null);
        var schemaPath = MetadataJson.Child(path, "schema");
        if (schema.ValueKind != JsonValueKind.Object)
            throw json.Error(schemaPath, schema, "an inline Table Schema object; inline schemas only, not references to other files");
        return TableSchemaParser.Read(schema, schemaPath, json);
    }

    private static void RejectRepeatedPaths(List<DataPackageResource> resources, MetadataJson json)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < resources.Count; i++)
        {
            if (!seen.Add(resources[i].Path))
                throw json.Error($"resources[{i}].path", $"is \"{resources[i].Path}\" again; each file may be loaded by one resource only");
        }
    }
}
