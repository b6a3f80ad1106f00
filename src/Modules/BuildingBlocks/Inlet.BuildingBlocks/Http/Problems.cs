using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Inlet.BuildingBlocks.Http;

/// <summary>RFC 9457 problem details with a detail a person can act on.</summary>
public static class Problems
{
    public static ProblemDetails Create(int status, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = $"https://httpstatuses.io/{status}" };
        if (extensions is not null)
            foreach (var (key, value) in extensions)
                problem.Extensions[key] = value;
        return problem;
    }

    public static ProblemDetails Validation(string field, string detail) =>
        Create(StatusCodes.Status400BadRequest, $"Invalid '{field}'", detail, new Dictionary<string, object?>
        {
            ["errors"] = new Dictionary<string, string[]> { [field] = [detail] },
        });

    public static ProblemDetails NotFound(string what) =>
        Create(StatusCodes.Status404NotFound, "Not found", $"No {what} with that id exists in this workspace.");

    public static Task Write(HttpContext context, int status, string title, string detail) =>
        Results.Problem(Create(status, title, detail)).ExecuteAsync(context);
}
