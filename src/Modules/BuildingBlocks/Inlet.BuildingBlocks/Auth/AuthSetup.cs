using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Inlet.BuildingBlocks.Auth;

/// <summary>
/// Bearer JWTs. Production trusts the platform's identity provider (Auth:Authority, Auth:Audience);
/// the Development environment alone also trusts tokens it signs itself for /api/dev/sign-in.
/// </summary>
public static class AuthSetup
{
    public const string DevIssuer = "inlet-dev";
    public const string DevAudience = "inlet";

    public static IServiceCollection AddInletAuthentication(this IServiceCollection services, IConfiguration config, IHostEnvironment env)
    {
        services.AddAuthorization();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            var authority = config["Auth:Authority"];
            if (!string.IsNullOrWhiteSpace(authority))
            {
                options.Authority = authority;
                options.Audience = config["Auth:Audience"];
                options.TokenValidationParameters.NameClaimType = WorkspaceClaims.Subject;
            }
            else if (env.IsDevelopment())
            {
                options.TokenValidationParameters = DevValidation(config);
            }
            else
            {
                throw new InvalidOperationException("Auth:Authority (and Auth:Audience) must be configured outside Development: Inlet trusts the platform's identity provider for bearer tokens.");
            }
        });
        return services;
    }

    private static SymmetricSecurityKey DevKey(IConfiguration config)
    {
        var secret = config["Auth:DevSigningKey"];
        if (string.IsNullOrEmpty(secret) || secret.Length < 32)
            throw new InvalidOperationException("Auth:DevSigningKey (at least 32 characters) is required for the Development sign-in.");
        return new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret));
    }

    private static TokenValidationParameters DevValidation(IConfiguration config) => new()
    {
        ValidIssuer = DevIssuer,
        ValidAudience = DevAudience,
        IssuerSigningKey = DevKey(config),
        NameClaimType = WorkspaceClaims.Subject,
        ClockSkew = TimeSpan.FromSeconds(30),
    };

    /// <summary>Mints a Development-only token for <paramref name="user"/> in <paramref name="workspaces"/>.</summary>
    public static string MintDevToken(IConfiguration config, string user, IEnumerable<string> workspaces, DateTimeOffset now, TimeSpan lifetime)
    {
        var claims = new List<Claim> { new(WorkspaceClaims.Subject, user) };
        claims.AddRange(workspaces.Select(ws => new Claim(WorkspaceClaims.Workspace, ws)));
        var token = new JwtSecurityToken(DevIssuer, DevAudience, claims, now.UtcDateTime, now.Add(lifetime).UtcDateTime,
            new SigningCredentials(DevKey(config), SecurityAlgorithms.HmacSha256));
        return new JwtSecurityTokenHandler().WriteToken(token);
    }
}
