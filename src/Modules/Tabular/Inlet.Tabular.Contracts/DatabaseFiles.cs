namespace Inlet.Tabular.Contracts;

/// <summary>
/// Which uploaded files the workspace database takes: the one rule, owned by the Tabular module, that the
/// Ingestion module routes by (a database token stages these and sends anything else to the Inbox).
/// </summary>
public static class DatabaseFiles
{
    /// <summary>Data files that become tables, by their suffix.</summary>
    private static readonly string[] DataSuffixes = [".csv", ".tsv", ".parquet"];

    /// <summary>Every suffix a file the database reads may end with; the longest first, so that ".schema.json" wins over a plainer match.</summary>
    public static readonly IReadOnlyList<string> Suffixes = [".schema.json", ".parquet", ".csv", ".tsv", ".xml"];

    /// <summary>Said to the uploader of a file a database token does not take.</summary>
    public const string Described =
        "Only CSV files (.csv, .tsv), Parquet files (.parquet) and their metadata (.schema.json, datapackage.json, .xml table definitions) become database tables";

    /// <summary>A CSV, TSV or Parquet file: its rows become a table.</summary>
    public static bool IsData(string name) => DataSuffixes.Any(s => FileName(name).EndsWith(s, StringComparison.OrdinalIgnoreCase));

    public static bool IsParquet(string name) => FileName(name).EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    /// <summary>A metadata file that describes data files: a Table Schema, a Data Package descriptor or an XML table definition.</summary>
    public static bool IsMetadata(string name)
    {
        var file = FileName(name);
        return file.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase)
            || file.Equals("datapackage.json", StringComparison.OrdinalIgnoreCase)
            || file.EndsWith(".xml", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Data files and the metadata files that describe them go to the database.</summary>
    public static bool IsForDatabase(string name) => IsData(name) || IsMetadata(name);

    /// <summary>"visits" for "site-a/visits.parquet" or "visits.schema.json"; the file name itself when no suffix applies.</summary>
    public static string BaseName(string name)
    {
        var file = FileName(name);
        foreach (var suffix in Suffixes)
            if (file.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                return file[..^suffix.Length];
        return file;
    }

    private static string FileName(string name) => name[(name.LastIndexOf('/') + 1)..];
}
