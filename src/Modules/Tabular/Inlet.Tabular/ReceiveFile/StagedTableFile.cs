using Inlet.Tabular.Contracts;
using Inlet.Tabular.LoadTable;
using Inlet.Tabular.Metadata;

namespace Inlet.Tabular.ReceiveFile;

public enum TableFileKind
{
    /// <summary>A data file whose rows become a table: CSV or TSV, or Parquet (told apart by <see cref="DatabaseFiles.IsParquet"/>).
    /// One kind for all, so that metadata matching, the grace for late metadata and reloads treat them alike.</summary>
    Csv,
    TableSchema,
    DataPackage,
    XmlDefinition,
}

/// <summary>A file a database token delivered, as the Tabular module keeps track of it.</summary>
public sealed class StagedTableFile
{
    public Guid Id { get; set; }
    public Guid Tid { get; set; }
    public string Wsid { get; set; } = "";

    /// <summary>The uploaded relative path, e.g. <c>site-a/visits.csv</c>.</summary>
    public string Name { get; set; } = "";

    public string Container { get; set; } = "";
    public string Path { get; set; } = "";
    public TableFileKind Kind { get; set; }
    public DateTimeOffset ArrivedAt { get; set; }

    /// <summary>For a CSV: until when metadata delivered after it is still waited for before it commits with inferred types.</summary>
    public DateTimeOffset? GraceEndsAt { get; set; }

    /// <summary>The file's size in bytes.</summary>
    public long Size { get; set; }

    /// <summary>For a CSV: metadata files that were delivered with it but not yet staged (uploaded names).</summary>
    public List<string> AwaitedMetadata { get; set; } = [];

    /// <summary>The metadata file's JSON, kept so that a CSV arriving later can be matched without reading storage.</summary>
    public string? Metadata { get; set; }

    /// <summary>For a CSV: which load (CSV + metadata) made the table's current content, once loaded.</summary>
    public string? LoadedKey { get; set; }

    public string? Table { get; set; }
    public LoadMode? LoadedMode { get; set; }
    public bool Refused { get; set; }

    /// <summary>The Content-MD5 the uploader stored, checked by the load's own read.</summary>
    public string? Md5 { get; set; }

    /// <summary>The token's bad-rows setting, or null for the default.</summary>
    public BadRowPolicy? BadRows { get; set; }

    /// <summary>
    /// For a data file: it was staged unscanned, and its first load scans it in the same read (docs/adr/0037); false once a
    /// load committed after clamd's clean verdict, so that a reload does not scan it again.
    /// </summary>
    public bool ScanPending { get; set; }

    /// <summary>The signature the load's scan matched: the file is refused for good and never loaded.</summary>
    public string? BlockedBy { get; set; }

    /// <summary>Why a metadata file was refused, so that the CSV it was meant for is refused with it.</summary>
    public string? RefusedReason { get; set; }

    public static TableFileKind? KindOf(string name)
    {
        var file = FileName(name);
        if (DatabaseFiles.IsData(file))
            return TableFileKind.Csv;
        if (file.EndsWith(".schema.json", StringComparison.OrdinalIgnoreCase))
            return TableFileKind.TableSchema;
        if (file.Equals("datapackage.json", StringComparison.OrdinalIgnoreCase))
            return TableFileKind.DataPackage;
        if (file.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
            return TableFileKind.XmlDefinition;
        return null;
    }

    public static string FileName(string name) => name[(name.LastIndexOf('/') + 1)..];

    public static string Folder(string name) => name.LastIndexOf('/') is var slash and >= 0 ? name[..(slash + 1)] : "";

    /// <summary>"visits" for "site-a/visits.csv".</summary>
    public static string BaseName(string name) => DatabaseFiles.BaseName(name);
}
