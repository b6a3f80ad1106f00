using System.Text.Json.Serialization;
using Inlet.Tabular.Loading;

namespace Inlet.Tabular.Metadata;

/// <summary>Whether a load replaces the table's rows or adds to them.</summary>
/// <remarks>Written as "replace" / "append" wherever it is stored or shown (events, the audit trail, the API), as before it
/// was an enum; documents that stored it as a number still read.</remarks>
[JsonConverter(typeof(JsonStringEnumConverter<LoadMode>))]
public enum LoadMode
{
    [JsonStringEnumMemberName("replace")] Replace,
    [JsonStringEnumMemberName("append")] Append,
}

/// <summary>One column as a Frictionless Table Schema declares it.</summary>
public sealed record FieldDefinition(string Name, ColumnType Type, string? Format, string? Title, string? Description,
    bool Required, bool Unique, IReadOnlyList<string>? Enum, IReadOnlyList<string>? TrueValues, IReadOnlyList<string>? FalseValues,
    decimal? Minimum, decimal? Maximum, int? MinLength, int? MaxLength, string? Pattern);

/// <summary>A table as its metadata declares it; no fields means the columns are inferred from the file.</summary>
/// <param name="Quote">The character that quotes values (default '"').</param>
/// <param name="Encoding">The file's text encoding when it is not UTF-8 (a name .NET knows, e.g. "iso-8859-1").</param>
/// <param name="Provenance">Where the data comes from, as the metadata says (an XML DatasetDefinition's Source).</param>
public sealed record TableDefinition(string? Name, string? Title, string? Description, LoadMode Mode,
    IReadOnlyList<FieldDefinition> Fields, IReadOnlyList<string> MissingValues, IReadOnlyList<string> PrimaryKey,
    char? Delimiter, bool Header = true, char? Quote = null, string? Encoding = null, string? Provenance = null);

/// <summary>A data file of a Data Package; Path is relative to the descriptor's folder and '/'-separated.</summary>
public sealed record DataPackageResource(string Path, TableDefinition Table);

/// <summary>Metadata that cannot be used; the message names the file, the JSON path and what was expected.</summary>
public sealed class MetadataException(string message) : Exception(message);
