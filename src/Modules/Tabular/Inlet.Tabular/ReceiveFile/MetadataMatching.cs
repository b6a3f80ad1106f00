using System.Text;
using Inlet.Tabular.Metadata;

namespace Inlet.Tabular.ReceiveFile;

/// <summary>
/// Which metadata describes which CSV: <c>visits.schema.json</c> beside <c>visits.csv</c>, or a
/// <c>datapackage.json</c> whose resource path, relative to the descriptor's folder, names the CSV.
/// Only files delivered with the same token count: metadata travels with its data.
/// </summary>
public static class MetadataMatching
{
    /// <summary>The tables a metadata file describes, keyed by the CSV names (uploaded relative paths) it applies to.</summary>
    public static IReadOnlyDictionary<string, TableDefinition> Describes(StagedTableFile metadata)
    {
        var text = metadata.Metadata ?? "";
        var fileName = StagedTableFile.FileName(metadata.Name);
        var folder = StagedTableFile.Folder(metadata.Name);
        var described = new Dictionary<string, TableDefinition>(StringComparer.Ordinal);
        if (metadata.Kind is TableFileKind.TableSchema or TableFileKind.XmlDefinition)
        {
            var definition = metadata.Kind == TableFileKind.TableSchema
                ? TableSchemaParser.Parse(Encoding.UTF8.GetBytes(text), fileName)
                : XmlTableDefinitionParser.Parse(text, fileName);
            var stem = folder + StagedTableFile.BaseName(metadata.Name);
            described[stem + ".csv"] = definition;
            described[stem + ".tsv"] = definition;
            described[stem + ".parquet"] = definition;
        }
        else if (metadata.Kind == TableFileKind.DataPackage)
        {
            foreach (var resource in DataPackageParser.Parse(Encoding.UTF8.GetBytes(text), fileName))
                described[folder + resource.Path] = resource.Table;
        }
        return described;
    }

    /// <summary>The table name a definition gives, or the CSV's own base name.</summary>
    public static string TableNameFor(string csvName, TableDefinition? definition) =>
        Loading.SqlNames.Table(definition?.Name is { Length: > 0 } declared ? declared : StagedTableFile.BaseName(csvName));
}
