using System.Globalization;
using System.Threading.RateLimiting;
using Inlet.BuildingBlocks.Auth;
using Inlet.BuildingBlocks.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Configuration;

namespace Inlet.Tokens.IssueUploadToken;

/// <summary>
/// Caps how many upload tokens one user may issue per window (<c>RateLimits:TokenIssuesPerUser</c> per
/// <c>RateLimits:TokenIssueWindow</c>), so a leaked bearer or a runaway script cannot mint thousands of
/// SAS URLs. Counted per node: with N nodes behind a load balancer a user gets at most N times the limit.
/// </summary>
public static class IssueRateLimit
{
    public static void Configure(RateLimiterOptions options, IConfiguration config)
    {
        var permits = config.GetValue<int?>("RateLimits:TokenIssuesPerUser") ?? 60;
        var window = config.GetValue<TimeSpan?>("RateLimits:TokenIssueWindow") ?? TimeSpan.FromMinutes(1);
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            IsIssue(context.Request) && context.User.Identity?.IsAuthenticated == true
                ? RateLimitPartition.GetFixedWindowLimiter(context.User.UserName(), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = permits,
                    Window = window,
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter("unlimited"));
        options.OnRejected = async (rejected, ct) =>
        {
            var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : window;
            var seconds = (int)Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds));
            rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Problems.Write(rejected.HttpContext, StatusCodes.Status429TooManyRequests, "Too many upload tokens",
                $"You may issue at most {permits} upload tokens per {window.TotalSeconds:0} s. Try again in {seconds} s.");
        };
    }

    private static bool IsIssue(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
        && request.Path.StartsWithSegments("/api/workspaces", StringComparison.OrdinalIgnoreCase, out var rest)
        && rest.Value is { } path && path.Count(c => c == '/') == 2 && path.EndsWith("/upload-tokens", StringComparison.OrdinalIgnoreCase);
}
