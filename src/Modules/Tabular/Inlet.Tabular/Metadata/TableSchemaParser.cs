using System.Text.Json;
using System.Text.RegularExpressions;
using Inlet.Tabular.Loading;

namespace Inlet.Tabular.Metadata;

/// <summary>
/// Reads a Frictionless Table Schema (name.schema.json) with Inlet's table-level extensions: name, title,
/// description, mode and dialect. Unknown properties are ignored, as the standard allows.
/// </summary>
public static class TableSchemaParser
{
    private static readonly Dictionary<string, ColumnType> Types = new(StringComparer.Ordinal)
    {
        ["string"] = ColumnType.Text,
        ["integer"] = ColumnType.BigInt,
        ["number"] = ColumnType.Numeric,
        ["boolean"] = ColumnType.Boolean,
        ["date"] = ColumnType.Date,
        ["datetime"] = ColumnType.TimestampTz,
        ["time"] = ColumnType.Time,
        ["year"] = ColumnType.Integer,
        // Types without a column type of their own keep their text.
        ["any"] = ColumnType.Text,
        ["object"] = ColumnType.Text,
        ["array"] = ColumnType.Text,
        ["duration"] = ColumnType.Text,
        ["yearmonth"] = ColumnType.Text,
        ["geopoint"] = ColumnType.Text,
        ["geojson"] = ColumnType.Text,
    };

    private static readonly IReadOnlyList<string> DefaultMissingValues = [""];
    private static readonly TimeSpan PatternCheckTimeout = TimeSpan.FromSeconds(1);

    public static TableDefinition Parse(ReadOnlySpan<byte> utf8Json, string fileName)
    {
        using var document = MetadataJson.Parse(utf8Json, fileName);
        return Read(document.RootElement, "", new MetadataJson(fileName));
    }

    internal static TableDefinition Read(JsonElement schema, string path, MetadataJson json)
    {
        json.RequireObject(schema, path);
        var fields = ReadFields(schema, path, json);
        var (delimiter, header) = ReadDialect(schema, path, json);
        return new TableDefinition(
            json.OptionalString(schema, path, "name"),
            json.OptionalString(schema, path, "title"),
            json.OptionalString(schema, path, "description"),
            ReadMode(schema, path, json) ?? LoadMode.Replace,
            fields,
            json.OptionalStrings(schema, path, "missingValues") ?? DefaultMissingValues,
            ReadPrimaryKey(schema, path, json, fields),
            delimiter,
            header ?? true);
    }

    internal static LoadMode? ReadMode(JsonElement parent, string path, MetadataJson json) =>
        json.OptionalString(parent, path, "mode") switch
        {
            null => null,
            "replace" => LoadMode.Replace,
            "append" => LoadMode.Append,
            _ => throw json.Error(MetadataJson.Child(path, "mode"), parent.GetProperty("mode"), "\"replace\" or \"append\""),
        };

    /// <summary>The dialect's delimiter and header flag, each null when not given.</summary>
    internal static (char? Delimiter, bool? Header) ReadDialect(JsonElement parent, string path, MetadataJson json)
    {
        if (!MetadataJson.TryGet(parent, "dialect", out var dialect))
            return (null, null);
        var dialectPath = MetadataJson.Child(path, "dialect");
        json.RequireObject(dialect, dialectPath);
        var delimiter = json.OptionalString(dialect, dialectPath, "delimiter");
        if (delimiter is not null && (delimiter.Length != 1 || delimiter[0] is '\r' or '\n' or '"'))
            throw json.Error(MetadataJson.Child(dialectPath, "delimiter"), dialect.GetProperty("delimiter"), "a single character other than a quote or line break");
        return (delimiter?[0], json.OptionalBool(dialect, dialectPath, "header"));
    }

    private static List<FieldDefinition> ReadFields(JsonElement schema, string path, MetadataJson json)
    {
        var fieldsPath = MetadataJson.Child(path, "fields");
        const string expected = "a non-empty array of field descriptors";
        if (!MetadataJson.TryGet(schema, "fields", out var fields))
            throw json.Error(fieldsPath, null, expected);
        if (fields.ValueKind != JsonValueKind.Array || fields.GetArrayLength() == 0)
            throw json.Error(fieldsPath, fields, expected);
        var definitions = new List<FieldDefinition>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (field, i) in fields.EnumerateArray().Select((field, i) => (field, i)))
        {
            var definition = ReadField(field, $"{fieldsPath}[{i}]", json);
            if (!names.Add(definition.Name))
                throw json.Error($"{fieldsPath}[{i}].name", $"is \"{definition.Name}\" again; field names must be unique");
            definitions.Add(definition);
        }
        return definitions;
    }

    private static FieldDefinition ReadField(JsonElement field, string path, MetadataJson json)
    {
        json.RequireObject(field, path);
        var type = ReadType(field, path, json);
        var format = ReadFormat(field, path, json, type);
        var constraints = ReadConstraints(field, path, json);
        return new FieldDefinition(
            json.RequiredString(field, path, "name"),
            type,
            format,
            json.OptionalString(field, path, "title"),
            json.OptionalString(field, path, "description"),
            constraints.Required,
            constraints.Unique,
            constraints.Enum,
            json.OptionalStrings(field, path, "trueValues"),
            json.OptionalStrings(field, path, "falseValues"),
            constraints.Minimum,
            constraints.Maximum,
            constraints.MinLength,
            constraints.MaxLength,
            constraints.Pattern);
    }

    /// <summary>Inlet's extension <c>postgresType</c> names the exact column type (as a table export writes it), so a round trip keeps it.</summary>
    public const string PostgresTypeProperty = "postgresType";

    private static ColumnType ReadType(JsonElement field, string path, MetadataJson json)
    {
        if (json.OptionalString(field, path, PostgresTypeProperty) is { } declared)
            return ColumnTypes.TryDeclared(declared, out var exact)
                ? exact
                : throw json.Error(MetadataJson.Child(path, PostgresTypeProperty), field.GetProperty(PostgresTypeProperty), $"one of {ColumnTypes.DeclarableNames}");
        var name = json.OptionalString(field, path, "type") ?? "string";
        return Types.TryGetValue(name, out var type)
            ? type
            : throw json.Error(MetadataJson.Child(path, "type"), field.GetProperty("type"), $"one of {string.Join(", ", Types.Keys)}");
    }

    // Checked here, so that a bad pattern fails before any row is read rather than on every row.
    private static string? ReadFormat(JsonElement field, string path, MetadataJson json, ColumnType type)
    {
        var format = json.OptionalString(field, path, "format");
        if (format is null or ColumnValues.DefaultFormat or ColumnValues.AnyFormat
            || type is not (ColumnType.Date or ColumnType.TimestampTz or ColumnType.Time))
            return format;
        var error = StrptimeFormat.Translate(format).Error;
        return error is null
            ? format
            : throw json.Error(MetadataJson.Child(path, "format"), field.GetProperty("format"), $"\"default\", \"any\" or a pattern such as %d/%m/%Y ({error})");
    }

    private sealed record Constraints(bool Required, bool Unique, IReadOnlyList<string>? Enum,
        decimal? Minimum, decimal? Maximum, int? MinLength, int? MaxLength, string? Pattern);

    private static Constraints ReadConstraints(JsonElement field, string path, MetadataJson json)
    {
        if (!MetadataJson.TryGet(field, "constraints", out var constraints))
            return new Constraints(false, false, null, null, null, null, null, null);
        var constraintsPath = MetadataJson.Child(path, "constraints");
        json.RequireObject(constraints, constraintsPath);
        return new Constraints(
            json.OptionalBool(constraints, constraintsPath, "required") ?? false,
            json.OptionalBool(constraints, constraintsPath, "unique") ?? false,
            ReadEnum(constraints, constraintsPath, json),
            json.OptionalNumber(constraints, constraintsPath, "minimum"),
            json.OptionalNumber(constraints, constraintsPath, "maximum"),
            json.OptionalNonNegativeInt(constraints, constraintsPath, "minLength"),
            json.OptionalNonNegativeInt(constraints, constraintsPath, "maxLength"),
            ReadPattern(constraints, constraintsPath, json));
    }

    // Enum values are written in the field's type (numbers for an integer field); they are compared as text.
    private static List<string>? ReadEnum(JsonElement constraints, string path, MetadataJson json)
    {
        if (!MetadataJson.TryGet(constraints, "enum", out var values))
            return null;
        var enumPath = MetadataJson.Child(path, "enum");
        if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
            throw json.Error(enumPath, values, "a non-empty array of values");
        return values.EnumerateArray().Select((value, i) => value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
            _ => throw json.Error($"{enumPath}[{i}]", value, "a string, number or boolean"),
        }).ToList();
    }

    private static string? ReadPattern(JsonElement constraints, string path, MetadataJson json)
    {
        var pattern = json.OptionalString(constraints, path, "pattern");
        if (pattern is null)
            return null;
        try
        {
            _ = new Regex(pattern, RegexOptions.None, PatternCheckTimeout);
            return pattern;
        }
        catch (ArgumentException e)
        {
            throw json.Error(MetadataJson.Child(path, "pattern"), constraints.GetProperty("pattern"), $"a regular expression ({e.Message})");
        }
    }

    private static List<string> ReadPrimaryKey(JsonElement schema, string path, MetadataJson json, List<FieldDefinition> fields)
    {
        if (!MetadataJson.TryGet(schema, "primaryKey", out var key))
            return [];
        var keyPath = MetadataJson.Child(path, "primaryKey");
        var names = key.ValueKind == JsonValueKind.String ? [key.GetString()!] : json.Strings(key, keyPath);
        var fieldNames = fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            if (!fieldNames.Contains(names[i]))
            {
                var itemPath = key.ValueKind == JsonValueKind.String ? keyPath : $"{keyPath}[{i}]";
                throw json.Error(itemPath, $"is \"{names[i]}\", which names no field; expected one of {string.Join(", ", fieldNames)}");
            }
        }
        return [.. names];
    }
}
