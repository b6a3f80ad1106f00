using Inlet.BuildingBlocks.Audit;
using Inlet.BuildingBlocks.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.Http;

namespace Inlet.BuildingBlocks.Auth;

/// <summary>
/// Guards every <c>/api/workspaces/{wsid}/…</c> route by path, so that no endpoint added later can
/// forget it: no identity → 401, not a member of the workspace → 403 (revealing nothing about it).
/// </summary>
public sealed class WorkspaceAccessMiddleware(RequestDelegate next)
{
    private const string Prefix = "/api/workspaces";

    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase, out var rest) && rest.HasValue && rest.Value!.Length > 1)
        {
            var wsid = rest.Value!.TrimStart('/').Split('/', 2)[0];
            if (context.User.Identity?.IsAuthenticated != true)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Problems.Write(context, StatusCodes.Status401Unauthorized, "Authentication required",
                    "Send an 'Authorization: Bearer <jwt>' header with a token from the platform's identity provider.");
                return;
            }
            if (!context.User.IsMemberOf(wsid))
            {
                // A signed-in user knocking on a workspace not theirs is recorded in that workspace's audit
                // (method and path only: a query string could carry anything). The answer stays the same.
                if (WorkspaceId.IsValid(wsid) && context.RequestServices.GetService<AccessAudit>() is { } access)
                    await access.Record(wsid, AccessAudit.AccessDenied, context.User.UserName(), new Dictionary<string, string?>
                    {
                        ["method"] = context.Request.Method, ["path"] = path.Value,
                    }, context.RequestAborted);
                await Problems.Write(context, StatusCodes.Status403Forbidden, "Not a member of this workspace",
                    "Your identity does not list this workspace in its 'ws' claim. Ask a workspace administrator for access.");
                return;
            }
        }
        await next(context);
    }
}
