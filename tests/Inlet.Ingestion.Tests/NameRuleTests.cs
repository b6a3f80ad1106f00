using System.Text;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Storage;
using Inlet.BuildingBlocks.Text;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Inlet.Tokens.Contracts;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>The name rules of issue #32 (WorkspacePath owns them; RoutingRules applies them to uploads), decided directly.</summary>
public sealed class NameRuleTests
{
    [Theory]
    [InlineData("invoice\u202Etxt.exe", "U+202E", "direction control")]
    [InlineData("a\u202Ab.txt", "U+202A", "direction control")]
    [InlineData("a\u2066b\u2069.txt", "U+2066", "direction control")]
    [InlineData("a\u200Eb.txt", "U+200E", "direction control")]
    [InlineData("a\u200Fb.txt", "U+200F", "direction control")]
    [InlineData("a\u061Cb.txt", "U+061C", "direction control")]
    [InlineData("a\u200Bb.txt", "U+200B", "invisible")]
    [InlineData("a\u200Cb.txt", "U+200C", "invisible")]
    [InlineData("a\u200Db.txt", "U+200D", "invisible")]
    [InlineData("a\u2060b.txt", "U+2060", "invisible")]
    [InlineData("a\uFEFFb.txt", "U+FEFF", "invisible")]
    [InlineData("a\u00ADb.txt", "U+00AD", "invisible")] // soft hyphen
    [InlineData("a\U000E0041b.txt", "U+E0041", "invisible")] // a tag character, outside the BMP
    [InlineData("a\u2028b.txt", "U+2028", "line separator")]
    [InlineData("a\u0001b.txt", "U+0001", "control")]
    [InlineData("a\u0000b.txt", "U+0000", "control")]
    [InlineData("a\u001Bb.txt", "U+001B", "control")]
    [InlineData("a\u0085b.txt", "U+0085", "control")]
    [InlineData("a\uFFFEb.txt", "U+FFFE", "noncharacter")]
    public void A_character_a_person_cannot_see_is_refused_by_its_code_point_and_position(string name, string codePoint, string what)
    {
        var problem = WorkspacePath.Problem(name, 1024);
        Assert.NotNull(problem);
        Assert.Contains(codePoint, problem);
        Assert.Contains(what, problem);
        Assert.Contains($"at character {name.IndexOf(codePoint == "U+E0041" ? '\uDB40' : (char)Convert.ToInt32(codePoint[2..], 16)) + 1}", problem);
        var decision = RoutingRules.Decide(UploadDestination.Inbox, name, Guid.NewGuid());
        Assert.Null(decision.Location);
        Assert.StartsWith("Unsafe file name '", decision.Rejection);
        Assert.Contains($"<{codePoint}>", decision.Rejection); // the name as sent, with the character made visible
        Assert.DoesNotContain(name, decision.Rejection);
    }

    [Fact]
    public void Half_a_surrogate_pair_is_refused()
    {
        // Not an InlineData: the test runner carries those as UTF-8, which turns a lone surrogate into U+FFFD.
        var problem = WorkspacePath.Problem("a\uD800b.txt", 1024);
        Assert.NotNull(problem);
        Assert.Contains("U+D800", problem);
    }

    [Theory]
    [InlineData("données/résumé-日本.txt")]
    [InlineData("emoji-😀.txt")]
    [InlineData("سلام.csv")]
    [InlineData("tab-free name (1).txt")]
    public void Visible_letters_of_any_script_pass(string name)
    {
        Assert.Null(WorkspacePath.Problem(name, 1024));
        Assert.Equal(name, QuotedText.Visible(name, 200));
    }

    [Fact]
    public void Names_are_routed_under_their_NFC_form_so_two_spellings_claim_the_same_path()
    {
        var composed = "caf\u00E9.txt";
        var decomposed = "cafe\u0301.txt";
        Assert.NotEqual(composed, decomposed);
        var a = RoutingRules.Decide(UploadDestination.Inbox, composed, Guid.NewGuid());
        var b = RoutingRules.Decide(UploadDestination.Inbox, decomposed, Guid.NewGuid());
        Assert.Equal("inbox/caf\u00E9.txt", a.Location);
        Assert.Equal(a.Location, b.Location); // the path claim then gives the second "café (2).txt"
        Assert.Equal("inbox/caf\u00E9 (2).txt", RoutingRules.Candidate(b.Location!, 2));
        var staged = RoutingRules.Decide(new UploadDestination(DestinationKind.Database, null), "cafe\u0301.csv", Guid.Empty);
        Assert.EndsWith("/caf\u00E9.csv", staged.Location);
        Assert.Equal("p/caf\u00E9", WorkspacePath.Normalise("p/cafe\u0301/"));
    }

    [Theory]
    [InlineData("dir/")]
    [InlineData("a/b/")]
    [InlineData("../x.txt")]
    [InlineData("./dot.txt")]
    [InlineData("/abs.txt")]
    [InlineData("a/../b.txt")]
    [InlineData("..\\..\\win.txt")]
    public void Folder_markers_and_escaping_names_are_rejected_and_addressed_literally(string name)
    {
        Assert.StartsWith("Unsafe file name", RoutingRules.Decide(UploadDestination.Inbox, name, Guid.NewGuid()).Rejection);
        Assert.True(LiteralBlobs.Needed(name), name);
    }

    [Fact]
    public void A_literal_address_keeps_dot_and_empty_segments_that_a_URI_would_remove()
    {
        Assert.Equal("%2E%2E/x.txt", LiteralBlobs.Path("../x.txt"));
        Assert.Equal("a/%2E/b/%2E%2E/c.txt", LiteralBlobs.Path("a/./b/../c.txt"));
        Assert.Equal("/abs.txt", LiteralBlobs.Path("/abs.txt"));
        Assert.Equal("dir/", LiteralBlobs.Path("dir/"));
        Assert.Equal("ctl%01x.txt", LiteralBlobs.Path("ctl\u0001x.txt"));
        Assert.Equal("..%5C..%5Cwin.txt", LiteralBlobs.Path("..\\..\\win.txt"));
        var address = new Uri("http://127.0.0.1/acc/c/" + LiteralBlobs.Path("a/../b.txt"), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        Assert.Equal("/acc/c/a/%2E%2E/b.txt", address.AbsolutePath);
        Assert.False(LiteralBlobs.Needed("site-a/2026/x.csv"));
        Assert.False(LiteralBlobs.Needed("ctl\u0001x.txt")); // the SDK escapes it faithfully
    }

    [Theory]
    [InlineData("nul\u0000x.txt")]
    [InlineData("%00 and \u0000 and %25 and %")]
    [InlineData("\u0000\u0000%")]
    public void A_name_with_U0000_is_kept_in_a_form_PostgreSQL_can_store_and_read_back_exactly(string name)
    {
        Assert.True(StoredName.NeedsEncoding(name));
        var stored = StoredName.Encode(name);
        Assert.DoesNotContain('\0', stored);
        Assert.Equal(name, StoredName.Decode(stored));

        var token = new TokenContainer { Id = Guid.NewGuid(), Wsid = "ws", Container = "c", Destination = UploadDestination.Inbox };
        var blob = new IngestBlob(token.Id, "c", name, "0x1", 1, null);
        var id = RoutingRules.UploadIdFor("c", name, "0x1");
        var (received, _) = UploadDecisions.Receive(token, blob, id, RoutingRules.Decide(token.Destination, name, id), 1, DateTimeOffset.UnixEpoch);
        Assert.True(received.NameEncoded);
        Assert.DoesNotContain('\0', received.BlobName + received.Note);
        var record = UploadRecordProjection.Create(received);
        Assert.Equal(name, record.BlobName());
    }

    [Fact]
    public void Other_names_are_stored_as_they_are()
    {
        var token = new TokenContainer { Id = Guid.NewGuid(), Wsid = "ws", Container = "c", Destination = UploadDestination.Inbox };
        var blob = new IngestBlob(token.Id, "c", "100%.txt", "0x1", 1, null);
        var (received, _) = UploadDecisions.Receive(token, blob, Guid.NewGuid(), RoutingRules.Decide(token.Destination, "100%.txt", Guid.Empty), 1, DateTimeOffset.UnixEpoch);
        Assert.False(received.NameEncoded);
        Assert.Equal("100%.txt", UploadRecordProjection.Create(received).BlobName());
    }
}

/// <summary>
/// <see cref="UnlistableNameSearch"/> against a model of Azurite's listing: names sorted in UTF-16 order, a one-blob page
/// from a start (inclusive) failing when the blob there holds an XML-invalid character.
/// </summary>
public sealed class UnlistableNameSearchTests
{
    private static bool Unlistable(string name) => name.Any(c => c is < '\u0020' and not ('\t' or '\n' or '\r') or '\uFFFE' or '\uFFFF');

    /// <param name="after">The listing's marker; by default, as ContainerListing sets it, the last name before the first unlistable one.</param>
    private static Func<string, Task<bool>> Listing(IEnumerable<string> names, string? after = null)
    {
        var sorted = names.Order(StringComparer.Ordinal).ToList();
        after ??= sorted.TakeWhile(n => !Unlistable(n)).LastOrDefault();
        return start => Task.FromResult(sorted.FirstOrDefault(n => string.CompareOrdinal(n, start) >= 0 && (after is null || string.CompareOrdinal(n, after) > 0)) is { } first && Unlistable(first));
    }

    [Theory]
    [InlineData("ctl\u0001x.txt")]
    [InlineData("nul\u0000x.txt")]
    [InlineData("\u001B[31mred.txt")]
    [InlineData("end\u0001")]
    [InlineData("ff\uFFFF.txt")]
    [InlineData("😀\u0002😀.txt")]
    [InlineData("日本/\u0003/データ.csv")]
    public async Task The_name_found_is_the_unlistable_blob_exactly(string poison)
    {
        var found = await UnlistableNameSearch.Find(Listing(["aa.txt", poison, "zz.txt", poison + "tail-ok?"]), 1024, 100_000);
        Assert.NotNull(found);
        Assert.True(Unlistable(found!));
        Assert.Contains(found, new[] { poison, poison + "tail-ok?" });
    }

    [Fact]
    public async Task Listable_and_unlistable_names_may_alternate_and_each_one_found_exists()
    {
        List<string> names = ["a\u0001", "a2", "a\u0001b", "b", "b\u0002", "b\u0002c\u0003", "bz", "c", "c\u0001", "c\u0001\u0001"];
        var left = names.ToList();
        var found = new List<string>();
        // As the poller does: each name found is routed away, then the next listing finds the next.
        while (left.Any(Unlistable))
        {
            var name = await UnlistableNameSearch.Find(Listing(left), 1024, 100_000);
            Assert.NotNull(name);
            Assert.Contains(name, left);
            Assert.True(Unlistable(name!));
            found.Add(name!);
            left.Remove(name!);
        }
        Assert.Equal(names.Where(Unlistable).Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        Assert.Null(await UnlistableNameSearch.Find(Listing(left), 1024, 100_000));
    }

    [Fact]
    public async Task A_marker_bounds_the_search_from_below_and_the_questions_are_about_22_per_character()
    {
        var asked = 0;
        var listing = Listing(["x\u0001", "y.txt", "z\u0001zz"], after: "y.txt");
        var found = await UnlistableNameSearch.Find(s => { asked++; return listing(s); }, 1024, 100_000);
        Assert.Equal("z\u0001zz", found);
        Assert.InRange(asked, 4 * 20, 4 * 23 + 2);
    }

    [Fact]
    public async Task It_gives_up_within_its_question_budget()
    {
        var poison = new string('a', 300) + "\u0001";
        Assert.Null(await UnlistableNameSearch.Find(Listing([poison]), 1024, maxQuestions: 1000));
        Assert.Null(await UnlistableNameSearch.Find(Listing([poison]), maxLength: 100, maxQuestions: 100_000));
    }
}
