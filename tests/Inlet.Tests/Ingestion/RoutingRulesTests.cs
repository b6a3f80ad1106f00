using Inlet.Ingestion.Routing;
using Inlet.Tokens.Contracts;

namespace Inlet.Tests.Ingestion;

public sealed class RoutingRulesTests
{
    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("/abs/path.txt")]
    [InlineData("a\\b.txt")]
    [InlineData("ctrl\u0001.txt")]
    [InlineData("a//b.txt")]
    [InlineData("./a.txt")]
    public void Unsafe_blob_names_are_rejected_with_a_reason(string name)
    {
        var decision = RoutingRules.Decide(UploadDestination.Inbox, name, Guid.NewGuid());
        Assert.Null(decision.Location);
        Assert.StartsWith("Unsafe file name", decision.Rejection);
    }

    [Fact]
    public void Safe_names_keep_their_relative_path_under_the_destination()
    {
        Assert.Equal("inbox/site-a/2026/x.csv", RoutingRules.Decide(UploadDestination.Inbox, "site-a/2026/x.csv", Guid.NewGuid()).Location);
        Assert.Equal("p/q/x.csv", RoutingRules.Decide(new UploadDestination(DestinationKind.Folder, "p/q"), "x.csv", Guid.NewGuid()).Location);
    }

    [Theory]
    [InlineData("site-a/visits.csv", "database")]
    [InlineData("visits.TSV", "database")]
    [InlineData("meta/visits.schema.json", "database")]
    [InlineData("datapackage.json", "database")]
    [InlineData("site-a/visits.parquet", "database")]
    [InlineData("VISITS.PARQUET", "database")]
    [InlineData("readme.txt", "inbox")]
    [InlineData("visits.parquet.gz", "inbox")]
    [InlineData("visits.csv.bak", "inbox")]
    public void A_database_token_stages_CSV_files_and_their_metadata_and_sends_other_files_to_the_inbox(string name, string routedTo)
    {
        var uploadId = Guid.NewGuid();
        var decision = RoutingRules.Decide(new UploadDestination(DestinationKind.Database, null), name, uploadId);
        Assert.Equal(routedTo, decision.RoutedTo);
        if (routedTo == "database")
        {
            Assert.Equal($".database/{uploadId:N}/{name.Split('/')[^1]}", decision.Location);
            Assert.Null(decision.Note);
        }
        else
        {
            Assert.Equal($"inbox/{name}", decision.Location);
            Assert.Contains("kept in the Inbox", decision.Note);
        }
    }

    [Fact]
    public void Clashing_names_get_numbered_candidates_keeping_the_extension()
    {
        Assert.Equal("inbox/a.csv", RoutingRules.Candidate("inbox/a.csv", 1));
        Assert.Equal("inbox/a (2).csv", RoutingRules.Candidate("inbox/a.csv", 2));
        Assert.Equal("inbox/README (3)", RoutingRules.Candidate("inbox/README", 3));
        Assert.Equal("inbox/d.x/.hidden (2)", RoutingRules.Candidate("inbox/d.x/.hidden", 2));
    }

    [Fact]
    public void The_same_blob_version_always_gets_the_same_upload_id()
    {
        Assert.Equal(RoutingRules.UploadIdFor("c", "n", "e1"), RoutingRules.UploadIdFor("c", "n", "e1"));
        Assert.NotEqual(RoutingRules.UploadIdFor("c", "n", "e1"), RoutingRules.UploadIdFor("c", "n", "e2"));
    }

    [Fact]
    public void A_CSV_may_be_described_by_its_sidecars_and_by_a_data_package_in_its_folder_or_any_above()
    {
        Assert.Equal(["a/b/visits.schema.json", "a/b/visits.xml", "a/b/datapackage.json", "a/datapackage.json", "datapackage.json"],
            RoutingRules.MetadataNamesFor("a/b/visits.csv"));
        Assert.Equal(["Sites.schema.json", "Sites.xml", "datapackage.json"], RoutingRules.MetadataNamesFor("Sites.TSV"));
        Assert.Equal(["a/visits.schema.json", "a/visits.xml", "a/datapackage.json", "datapackage.json"], RoutingRules.MetadataNamesFor("a/visits.parquet"));
        Assert.Empty(RoutingRules.MetadataNamesFor("a/visits.schema.json"));
        Assert.Empty(RoutingRules.MetadataNamesFor("notes.txt"));
        Assert.Empty(RoutingRules.MetadataNamesFor(".csv"));
    }
}
