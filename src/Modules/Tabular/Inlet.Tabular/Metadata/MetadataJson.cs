using Inlet.BuildingBlocks.Text;
using System.Globalization;
using System.Text.Json;

namespace Inlet.Tabular.Metadata;

/// <summary>Reads metadata JSON so that every error names the file, the JSON path and what was expected.</summary>
internal sealed class MetadataJson(string fileName)
{
    public const int MaxBytes = 1024 * 1024;

    public string FileName { get; } = fileName;

    public static JsonDocument Parse(ReadOnlySpan<byte> utf8Json, string fileName)
    {
        // Checked before parsing, so that an oversized upload costs nothing.
        if (utf8Json.Length > MaxBytes)
            throw new MetadataException($"{fileName}: the file has {utf8Json.Length} bytes; metadata files may have at most 1 MiB");
        try
        {
            return JsonDocument.Parse(utf8Json.TrimStart("\uFEFF"u8).ToArray());
        }
        catch (JsonException e)
        {
            var reason = e.Message.Split(" LineNumber:", 2)[0];
            throw new MetadataException($"{fileName}: not valid JSON at line {e.LineNumber + 1}: {reason}");
        }
    }

    public static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    public MetadataException Error(string path, JsonElement? found, string expected) =>
        new($"{FileName}: {(path.Length == 0 ? "the top level" : path)} is {Describe(found)}; expected {expected}");

    public MetadataException Error(string path, string problem) => new($"{FileName}: {path} {problem}");

    public JsonElement RequireObject(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.Object ? element : throw Error(path, element, "an object");

    public static bool TryGet(JsonElement parent, string name, out JsonElement value) => parent.TryGetProperty(name, out value);

    public string? OptionalString(JsonElement parent, string path, string name)
    {
        if (!TryGet(parent, name, out var value))
            return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw Error(Child(path, name), value, "a string");
    }

    public string RequiredString(JsonElement parent, string path, string name)
    {
        var value = OptionalString(parent, path, name);
        return string.IsNullOrEmpty(value) ? throw Error(Child(path, name), TryGet(parent, name, out var found) ? found : null, "a non-empty string") : value;
    }

    public bool? OptionalBool(JsonElement parent, string path, string name)
    {
        if (!TryGet(parent, name, out var value))
            return null;
        return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : throw Error(Child(path, name), value, "true or false");
    }

    public int? OptionalNonNegativeInt(JsonElement parent, string path, string name)
    {
        if (!TryGet(parent, name, out var value))
            return null;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 0
            ? number
            : throw Error(Child(path, name), value, "a whole number of 0 or more");
    }

    public decimal? OptionalNumber(JsonElement parent, string path, string name)
    {
        if (!TryGet(parent, name, out var value))
            return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number))
            return number;
        if (value.ValueKind == JsonValueKind.String && decimal.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out number))
            return number;
        throw Error(Child(path, name), value, "a number");
    }

    public IReadOnlyList<string>? OptionalStrings(JsonElement parent, string path, string name)
    {
        if (!TryGet(parent, name, out var value))
            return null;
        return Strings(value, Child(path, name));
    }

    public IReadOnlyList<string> Strings(JsonElement array, string path)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw Error(path, array, "an array of strings");
        return array.EnumerateArray()
            .Select((item, i) => item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Error($"{path}[{i}]", item, "a string"))
            .ToList();
    }

    public static string Describe(JsonElement? element) => element switch
    {
        null => "missing",
        { ValueKind: JsonValueKind.Object } => "an object",
        { ValueKind: JsonValueKind.Array } => "an array",
        { } e => Shorten(e.GetRawText()),
    };

    private const int MaxQuotedLength = 80;

    // At most MaxQuotedLength characters, the ellipsis included.
    private static string Shorten(string text) => text.Length <= MaxQuotedLength ? text : QuotedText.Shorten(text, MaxQuotedLength - 1);
}
