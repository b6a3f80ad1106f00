using System.Net.Http.Headers;
using System.Text;

namespace Inlet.Tests.Tokens;

public sealed class TokenAuthorisationAndValidationTests(InletApp app) : IClassFixture<InletApp>
{
    private static IEnumerable<(HttpMethod Method, string Url, object? Body)> TokenRoutes(string ws, string tid) =>
    [
        (HttpMethod.Post, $"/api/workspaces/{ws}/upload-tokens", new { reason = "x" }),
        (HttpMethod.Get, $"/api/workspaces/{ws}/upload-tokens", null),
        (HttpMethod.Get, $"/api/workspaces/{ws}/upload-tokens/{tid}", null),
        (HttpMethod.Get, $"/api/workspaces/{ws}/upload-tokens/{tid}/events", null),
        (HttpMethod.Delete, $"/api/workspaces/{ws}/upload-tokens/{tid}", null),
        (HttpMethod.Get, $"/api/workspaces/{ws}/audit", null),
    ];

    private static HttpRequestMessage Request(HttpMethod method, string url, object? body) =>
        new(method, url) { Content = body is null ? null : JsonContent.Create(body) };

    [Fact]
    public async Task Every_token_route_needs_a_bearer_and_membership_of_the_workspace()
    {
        var wsA = InletApp.NewWorkspace("wsa");
        var wsB = InletApp.NewWorkspace("wsb");
        var bob = await app.SignedIn("bob", wsB);
        var bobsToken = await bob.Issue(wsB);
        var alice = await app.SignedIn("alice", wsA);
        var anonymous = app.Host.Server.CreateClient();
        var tampered = app.Host.Server.CreateClient();
        var parts = alice.DefaultRequestHeaders.Authorization!.Parameter!.Split('.');
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(parts[1].Replace('-', '+').Replace('_', '/') + new string('=', (4 - parts[1].Length % 4) % 4)));
        var forged = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace(wsA, wsB))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        tampered.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", $"{parts[0]}.{forged}.{parts[2]}");

        foreach (var (method, url, body) in TokenRoutes(wsB, bobsToken.Str("tid")))
        {
            var none = await anonymous.SendAsync(Request(method, url, body));
            Assert.True(none.StatusCode == HttpStatusCode.Unauthorized, $"{method} {url} without bearer: {(int)none.StatusCode}");
            Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);

            var forgedAnswer = await tampered.SendAsync(Request(method, url, body));
            Assert.True(forgedAnswer.StatusCode == HttpStatusCode.Unauthorized, $"{method} {url} with a tampered JWT: {(int)forgedAnswer.StatusCode}");

            var outsider = await alice.SendAsync(Request(method, url, body));
            Assert.True(outsider.StatusCode == HttpStatusCode.Forbidden, $"{method} {url} by a member of another workspace: {(int)outsider.StatusCode}");
            Assert.DoesNotContain(bobsToken.Str("tid"), await outsider.Content.ReadAsStringAsync());
        }

        var listing = await bob.GetJson($"/api/workspaces/{wsB}/upload-tokens");
        Assert.Equal(1, listing.GetArrayLength());
        Assert.Equal("active", listing[0].Str("status"));
    }

    [Fact]
    public async Task A_token_of_another_workspace_is_not_found_even_for_a_member_of_both_path_segments()
    {
        var wsA = InletApp.NewWorkspace("wsa");
        var wsB = InletApp.NewWorkspace("wsb");
        var carol = await app.SignedIn("carol", wsA, wsB);
        var tokenOfB = await carol.Issue(wsB);
        var answer = await carol.GetAsync($"/api/workspaces/{wsA}/upload-tokens/{tokenOfB.Str("tid")}");
        Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        var revoke = await carol.DeleteAsync($"/api/workspaces/{wsA}/upload-tokens/{tokenOfB.Str("tid")}");
        Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await carol.GetAsync($"/api/workspaces/{wsA}/upload-tokens/not-a-guid")).StatusCode);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"valid_days": 3}""", "reason" },
        { """{"reason": ""}""", "reason" },
        { """{"reason": "   "}""", "reason" },
        { $$"""{"reason": "{{new string('x', 501)}}"}""", "reason" },
        { """{"reason": "x", "valid_days": 0}""", "valid_days" },
        { """{"reason": "x", "valid_days": 31}""", "valid_days" },
        { """{"reason": "x", "valid_days": "ten"}""", "valid_days" },
        { """{"reason": "x", "valid_from": "2001-01-01T00:00:00Z"}""", "valid_from" },
        { """{"reason": "x", "valid_from": "next tuesday"}""", "valid_from" },
        { """{"reason": "x", "folder": "../etc"}""", "folder" },
        { """{"reason": "x", "folder": "/abs"}""", "folder" },
        { """{"reason": "x", "folder": "a\\b"}""", "folder" },
        { """{"reason": "x", "folder": "a//b"}""", "folder" },
        { $$"""{"reason": "x", "folder": "{{new string('a', 256)}}"}""", "folder" },
        { """{"reason": "x", "folder": "a", "upload_to_database": true}""", "folder" },
        { """{"reason": "x", "upload_to_database": "yes"}""", "upload_to_database" },
        { """{"reason": "x", "colour": "red"}""", "colour" },
        { """{"reason": "x" """, "body" },
        { """[1,2,3]""", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_refused_with_problem_details_naming_the_field(string body, string field)
    {
        var ws = InletApp.NewWorkspace();
        var alice = await app.SignedIn("alice", ws);
        var response = await alice.PostAsync($"/api/workspaces/{ws}/upload-tokens", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        if (field != "body")
            Assert.Contains(field, problem.Str("detail") + problem.Str("title"));
        Assert.False(string.IsNullOrWhiteSpace(problem.Str("detail")));
        Assert.Equal(0, (await alice.GetJson($"/api/workspaces/{ws}/upload-tokens")).GetArrayLength());
    }
}
