using System.Text.Json.Serialization;

namespace Inlet.Host.WebPages;

/// <summary>What the browser needs to sign a user in; public by nature (a public OIDC client has no secret).</summary>
public sealed record WebSignInConfig(
    [property: JsonPropertyName("sign_in")] string SignIn,
    [property: JsonPropertyName("authority")] string? Authority,
    [property: JsonPropertyName("client_id")] string? ClientId,
    [property: JsonPropertyName("scope")] string? Scope);

/// <summary>
/// The web pages: a static front end in wwwroot that calls the same JSON API, with the same bearer
/// tokens, as any other client (docs/adr/0009-web-pages.md). The Host only serves the files, tells the
/// pages how to sign in, and sets headers that keep the pages' secrets in the page.
/// </summary>
public static class WebPagesSetup
{
    public static WebSignInConfig SignInConfig(IConfiguration config, IHostEnvironment env)
    {
        var authority = config["Auth:Authority"];
        if (!string.IsNullOrWhiteSpace(authority))
        {
            var scope = config["Auth:Scope"];
            return new WebSignInConfig("oidc", authority.TrimEnd('/'), config["Auth:ClientId"], string.IsNullOrWhiteSpace(scope) ? "openid profile" : scope);
        }
        // Without an authority only Development runs at all (AuthSetup refuses otherwise).
        return new WebSignInConfig(env.IsDevelopment() ? "development" : "none", null, null, null);
    }

    public static WebApplication UseWebPages(this WebApplication app)
    {
        var signIn = SignInConfig(app.Configuration, app.Environment);
        var csp = ContentSecurityPolicy(signIn.Authority);
        app.Use(async (context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/api"))
            {
                var headers = context.Response.Headers;
                headers.ContentSecurityPolicy = csp;
                headers.XContentTypeOptions = "nosniff";
                // The OIDC callback URL carries an authorization code: never send it on as a referrer.
                headers["Referrer-Policy"] = "no-referrer";
                // Pages hold a fresh upload token in memory; a cached copy of the page must not outlive it.
                headers.CacheControl = "no-store";
            }
            await next(context);
        });
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.MapGet("/api/web/config", () => Results.Json(signIn)).AllowAnonymous().WithTags("Web pages");
        return app;
    }

    public static string ContentSecurityPolicy(string? authority)
    {
        // The pages call only this origin, and the identity provider's discovery and token endpoints.
        var connect = authority is null ? "'self'" : $"'self' {new Uri(authority).GetLeftPart(UriPartial.Authority)}";
        return $"default-src 'self'; connect-src {connect}; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
               "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
    }
}
