using System.Security.Cryptography;
using System.Text;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Storage;
using Inlet.BuildingBlocks.Text;
using Inlet.Tabular.Contracts;
using Inlet.Tokens.Contracts;

namespace Inlet.Ingestion.Routing;

/// <summary>Pure decisions: what an uploaded blob is called in the workspace, and whether it may go there.</summary>
public static class RoutingRules
{
    public const string InboxFolder = "inbox";
    public const string QuarantineFolder = ".quarantine";
    public const string DatabaseStagingFolder = ".database";
    public const int MaxPathLength = 1024;

    /// <summary>
    /// The same blob version (container, name, ETag) always gets the same upload id, on every node, however it was found:
    /// the ETag is taken as a listing spells it (<see cref="BlobETags.Unquoted"/>).
    /// </summary>
    public static Guid UploadIdFor(string container, string blobName, string etag)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{container}\n{blobName}\n{BlobETags.Unquoted(etag)}"));
        return new Guid(hash.AsSpan(0, 16));
    }

    public sealed record Decision(string RoutedTo, string? Location, string? Note, string? Rejection);

    public static Decision Decide(UploadDestination destination, string blobName, Guid uploadId)
    {
        var problem = WorkspacePath.Problem(blobName, MaxPathLength)
            // A folder path may end in '/', a file's name may not: "dir/" is a folder marker, not a file to route.
            ?? (blobName.EndsWith('/') ? "The name ends with '/', so it names a folder, not a file." : null);
        var (routedTo, folder, note) = destination.Kind switch
        {
            DestinationKind.Folder => ("folder", destination.Folder!, (string?)null),
            DestinationKind.Database when IsForDatabase(blobName) => ("database", $"{DatabaseStagingFolder}/{uploadId:N}", null),
            DestinationKind.Database => ("inbox", InboxFolder, $"{DatabaseFiles.Described}; this file was kept in the Inbox."),
            _ => ("inbox", InboxFolder, (string?)null),
        };
        if (problem is not null)
            return new Decision(routedTo, null, null, $"Unsafe file name '{QuotedText.Visible(blobName, 200)}': {problem}");
        // One normalisation form (NFC): a decomposed spelling of a name lands on the same path, so it gets "name (2).ext"
        // rather than a second file that looks the same.
        var name = WorkspacePath.Normalise(blobName);
        var location = routedTo == "database" ? $"{folder}/{FileName(name)}" : $"{folder}/{name}";
        if (location.Length > MaxPathLength)
            return new Decision(routedTo, null, null, $"The file's path in the workspace would be {location.Length} characters; at most {MaxPathLength} are allowed.");
        return new Decision(routedTo, location, note, null);
    }

    /// <summary>How many names <see cref="Candidate"/> gives a file before Inlet stops looking for a free one.</summary>
    public const int MaxNameAttempts = 1000;

    /// <summary>Names to try when <paramref name="location"/> is taken: "a.csv", "a (2).csv", "a (3).csv", …</summary>
    public static string Candidate(string location, int attempt)
    {
        if (attempt <= 1)
            return location;
        var slash = location.LastIndexOf('/');
        var name = location[(slash + 1)..];
        var dot = name.LastIndexOf('.');
        var (stem, ext) = dot > 0 ? (name[..dot], name[dot..]) : (name, "");
        return $"{location[..(slash + 1)]}{stem} ({attempt}){ext}";
    }

    /// <summary>
    /// The uploaded names of the metadata files that could describe a CSV: <c>visits.schema.json</c> and
    /// <c>visits.xml</c> beside <c>visits.csv</c> (or <c>visits.parquet</c>), and a <c>datapackage.json</c> in its folder or any above.
    /// Empty for anything but a data file.
    /// </summary>
    public static IReadOnlyList<string> MetadataNamesFor(string blobName)
    {
        var name = FileName(blobName);
        var dot = name.LastIndexOf('.');
        if (dot <= 0 || !DatabaseFiles.IsData(name))
            return [];
        var folder = blobName[..^name.Length];
        List<string> names = [$"{folder}{name[..dot]}.schema.json", $"{folder}{name[..dot]}.xml"];
        for (var above = folder; ; above = above[..(above.LastIndexOf('/', above.Length - 2) + 1)])
        {
            names.Add($"{above}datapackage.json");
            if (above.Length == 0)
                break;
        }
        return names;
    }

    /// <summary>Data files (CSV, Parquet) and the metadata files that describe them go to the database; anything else on a database token goes to the Inbox.</summary>
    public static bool IsForDatabase(string blobName) => DatabaseFiles.IsForDatabase(blobName);

    public static bool IsStaged(string location) => location.StartsWith(DatabaseStagingFolder + "/", StringComparison.Ordinal);

    private static string FileName(string blobName) => blobName[(blobName.LastIndexOf('/') + 1)..];

    public static string QuarantineLocation(Guid uploadId) => $"{QuarantineFolder}/{uploadId:N}";
}
