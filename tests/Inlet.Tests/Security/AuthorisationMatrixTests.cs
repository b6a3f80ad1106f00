using System.IdentityModel.Tokens.Jwt;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Inlet.BuildingBlocks.Auth;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Inlet.Tests.Security;

/// <summary>
/// Every route the app serves, enumerated from the app itself (so a new route cannot escape): workspace
/// routes need a valid bearer of a member; the few others are on a short, explicit list.
/// </summary>
public sealed class AuthorisationMatrixTests(InletApp app) : IClassFixture<InletApp>
{
    private static readonly string[] Anonymous = ["/api/dev/sign-in", "/api/ingestion/eventgrid", "/api/web/config"];

    private IReadOnlyList<(string Method, string Pattern)> Routes() =>
        app.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, "/" + e.RoutePattern.RawText!.TrimStart('/'))))
            .Distinct().ToList();

    private static string Fill(string pattern, string ws) => pattern
        .Replace("{wsid}", ws).Replace("{tid}", Guid.NewGuid().ToString()).Replace("{id}", Guid.NewGuid().ToString()).Replace("{name}", "visits");

    private string Mint(string issuer, DateTimeOffset notBefore, TimeSpan lifetime, string ws)
    {
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(app.Host.Services.GetRequiredService<IConfiguration>()["Auth:DevSigningKey"]!));
        var token = new JwtSecurityToken(issuer, AuthSetup.DevAudience, [new Claim("sub", "mallory"), new Claim("ws", ws)],
            notBefore.UtcDateTime, notBefore.Add(lifetime).UtcDateTime, new SigningCredentials(key, SecurityAlgorithms.HmacSha256));
        return new JwtSecurityTokenHandler().WriteToken(token);
    }

    [Fact]
    public async Task Every_workspace_route_refuses_missing_expired_tampered_and_foreign_tokens_and_no_other_api_route_is_open()
    {
        var routes = Routes();
        var api = routes.Where(r => r.Pattern.StartsWith("/api/", StringComparison.Ordinal)).ToList();
        var unguarded = api.Where(r => !r.Pattern.StartsWith("/api/workspaces/{wsid}/", StringComparison.Ordinal) && !Anonymous.Contains(r.Pattern)).ToList();
        Assert.True(unguarded.Count == 0, $"API routes outside /api/workspaces/{{wsid}} that are not known to be anonymous: {string.Join(", ", unguarded)}");
        var guarded = api.Except(api.Where(r => Anonymous.Contains(r.Pattern))).ToList();
        Assert.True(guarded.Count >= 15, $"only {guarded.Count} workspace routes found: {string.Join(", ", guarded)}");

        var ws = InletApp.NewWorkspace("matrix");
        var other = InletApp.NewWorkspace("other");
        var member = await app.SignedIn("alice", ws);
        var outsider = await app.SignedIn("mallory", other);
        var bearer = member.DefaultRequestHeaders.Authorization!.Parameter!;
        var now = DateTimeOffset.UtcNow;
        var forged = new Dictionary<string, string>
        {
            ["none"] = "",
            ["expired"] = Mint(AuthSetup.DevIssuer, now.AddHours(-3), TimeSpan.FromHours(1), ws),
            ["wrong issuer"] = Mint("https://evil.example", now.AddMinutes(-1), TimeSpan.FromHours(1), ws),
            ["tampered signature"] = bearer[..^4] + (bearer[^4..] == "AAAA" ? "BBBB" : "AAAA"),
            ["unsigned"] = string.Join('.', bearer.Split('.')[..2]) + ".",
        };

        foreach (var (method, pattern) in guarded)
        {
            var url = Fill(pattern, ws);
            HttpRequestMessage Request(string? token)
            {
                var request = new HttpRequestMessage(new HttpMethod(method), url) { Content = method is "POST" or "PUT" ? JsonContent.Create(new { }) : null };
                if (!string.IsNullOrEmpty(token))
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                return request;
            }
            var client = app.Host.Server.CreateClient();
            foreach (var (kind, token) in forged)
            {
                var answer = await client.SendAsync(Request(token));
                Assert.True(answer.StatusCode == HttpStatusCode.Unauthorized, $"{method} {pattern} with {kind} bearer: {(int)answer.StatusCode}");
                Assert.Equal("application/problem+json", answer.Content.Headers.ContentType?.MediaType);
            }
            var foreign = await outsider.SendAsync(Request(outsider.DefaultRequestHeaders.Authorization!.Parameter));
            Assert.True(foreign.StatusCode == HttpStatusCode.Forbidden, $"{method} {pattern} by a member of another workspace: {(int)foreign.StatusCode}");
            var own = await member.SendAsync(Request(bearer));
            Assert.True((int)own.StatusCode < 500, $"{method} {pattern} by a member: {(int)own.StatusCode} {await own.Content.ReadAsStringAsync()}");
        }
    }
}
