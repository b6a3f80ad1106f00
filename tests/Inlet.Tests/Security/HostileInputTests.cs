using System.Text;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Inlet.Tests.Security;

/// <summary>
/// Every workspace route, enumerated from the app, walked with malformed, oversized and hostile input by
/// a member: the answer is always a 4xx problem details (or a success), never a 500 or a stack trace.
/// </summary>
public sealed class HostileInputTests(InletApp app) : IClassFixture<InletApp>
{
    private static readonly string[] HostileIds =
        [new string('x', 3000), "..", "%2E%2E%2Fetc%2Fpasswd", "é日本\u202e", "%01", "' or 1=1 --", "-1", Guid.Empty.ToString()];

    private static readonly string[] HostileQueries =
    [
        "?folder=..%2F..%2Fetc&path=..%2F..%2Fetc%2Fpasswd&limit=abc&format=%00",
        "?folder=%2Fabsolute&path=%2Fetc%2Fpasswd&limit=-5&format=csv",
        "?folder=a%5Cb&path=a%5C..%5Cb&limit=99999999999999&format=xml",
        $"?folder={new string('a', 5000)}&path={new string('b', 5000)}&limit=0",
        "?folder=%01%02&path=inbox%2F%0A.csv",
    ];

    private static IEnumerable<(string Name, HttpContent Content)> HostileBodies()
    {
        yield return ("malformed", new StringContent("{\"reason\": ", Encoding.UTF8, "application/json"));
        yield return ("wrong types", new StringContent("""{"reason": 5, "valid_days": "thirty", "upload_to_database": "yes", "folder": [], "inbox_approval": "on"}""", Encoding.UTF8, "application/json"));
        yield return ("unknown field", new StringContent("""{"reason": "x", "admin": true}""", Encoding.UTF8, "application/json"));
        yield return ("array", new StringContent("[1, 2, 3]", Encoding.UTF8, "application/json"));
        yield return ("null", new StringContent("null", Encoding.UTF8, "application/json"));
        yield return ("control characters", new StringContent("{\"reason\": \"a\\u0000b\\u0007\", \"folder\": \"../../etc\"}", Encoding.UTF8, "application/json"));
        yield return ("unicode", new StringContent("""{"reason": "日本語 \u202e ✓", "folder": "données/é"}""", Encoding.UTF8, "application/json"));
        yield return ("huge numbers", new StringContent("""{"reason": "x", "valid_days": 1e400, "valid_from": "9999-99-99"}""", Encoding.UTF8, "application/json"));
        yield return ("not json", new StringContent("reason=x", Encoding.UTF8, "application/x-www-form-urlencoded"));
        yield return ("deep nesting", new StringContent(new string('[', 5000) + new string(']', 5000), Encoding.UTF8, "application/json"));
    }

    private static async Task AssertHandled(HttpResponseMessage answer, string what)
    {
        var body = await answer.Content.ReadAsStringAsync();
        Assert.True((int)answer.StatusCode < 500, $"{what}: {(int)answer.StatusCode} {body[..Math.Min(300, body.Length)]}");
        Assert.DoesNotContain("   at ", body);
        Assert.DoesNotContain("Exception", body);
        if ((int)answer.StatusCode >= 400)
            Assert.True(answer.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{what}: {(int)answer.StatusCode} without problem details");
    }

    [Fact]
    public async Task Every_workspace_route_answers_hostile_input_with_4xx_problem_details_never_500()
    {
        var ws = InletApp.NewWorkspace("hostile");
        var member = await app.SignedIn("alice", ws);
        var routes = app.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.TrimStart('/').StartsWith("api/workspaces/{wsid}/", StringComparison.Ordinal))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct().ToList();
        Assert.NotEmpty(routes);

        foreach (var (method, pattern) in routes)
        {
            foreach (var id in HostileIds)
            {
                var url = pattern.Replace("{wsid}", ws).Replace("{tid}", id).Replace("{id}", id).Replace("{name}", id);
                foreach (var query in HostileQueries)
                {
                    var request = new HttpRequestMessage(new HttpMethod(method), url + query);
                    if (method is "POST" or "PUT")
                        request.Content = JsonContent.Create(new { reason = "hostile" });
                    await AssertHandled(await member.SendAsync(request), $"{method} {url}{query}");
                }
            }
            if (method is not ("POST" or "PUT"))
                continue;
            var plain = pattern.Replace("{wsid}", ws).Replace("{tid}", Guid.NewGuid().ToString()).Replace("{id}", Guid.NewGuid().ToString()).Replace("{name}", "t");
            foreach (var (name, content) in HostileBodies())
                await AssertHandled(await member.SendAsync(new HttpRequestMessage(new HttpMethod(method), plain) { Content = content }), $"{method} {pattern} with a {name} body");
            var huge = await member.SendAsync(new HttpRequestMessage(new HttpMethod(method), plain)
            {
                Content = new StringContent("{\"reason\": \"" + new string('x', 2 * 1024 * 1024) + "\"}", Encoding.UTF8, "application/json"),
            });
            Assert.True(huge.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{method} {pattern} with a 2 MiB body: {(int)huge.StatusCode}");
            await AssertHandled(huge, $"{method} {pattern} with a 2 MiB body");
        }
    }
}
