using System.Text.Json.Serialization;
using Inlet.BuildingBlocks.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace Inlet.BuildingBlocks.Auth;

public sealed record DevSignInRequest(
    [property: JsonPropertyName("user")] string? User,
    [property: JsonPropertyName("workspaces")] string[]? Workspaces);

public sealed record DevSignInResponse([property: JsonPropertyName("access_token")] string AccessToken);

/// <summary><c>POST /api/dev/sign-in</c>: the embedded default's stand-in for the identity provider.</summary>
public static class DevSignIn
{
    public static void MapDevSignIn(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/dev/sign-in", (DevSignInRequest? request, IConfiguration config) =>
        {
            var user = request?.User?.Trim();
            if (string.IsNullOrEmpty(user) || user.Length > 100 || user.Any(char.IsControl))
                return Results.Problem(Problems.Validation("user", "Give a user name of 1–100 printable characters, e.g. \"alice\"."));
            var workspaces = request!.Workspaces ?? [];
            if (workspaces.Length > 100)
                return Results.Problem(Problems.Validation("workspaces", "At most 100 workspaces."));
            if (workspaces.FirstOrDefault(ws => !WorkspaceId.IsValid(ws)) is { } bad)
                return Results.Problem(Problems.Validation("workspaces", $"'{bad}' is not a workspace id: use 3–40 characters of a-z, 0-9 and '-'."));
            var token = AuthSetup.MintDevToken(config, user, workspaces.Distinct(), TimeProvider.System.GetUtcNow(), TimeSpan.FromHours(12));
            // The bearer handler validates lifetimes on the system clock, so tokens are minted on it too.
            return Results.Json(new DevSignInResponse(token));
        }).AllowAnonymous().WithTags("Development");
}
