using System.Text.Json;
using Inlet.BuildingBlocks.Concurrency;
using Inlet.BuildingBlocks.Http;
using Inlet.Host.Health;
using Microsoft.AspNetCore.Diagnostics;

namespace Inlet.Host;

/// <summary>Every failure becomes problem details a person can act on; never a stack trace.</summary>
public static class ErrorResponses
{
    public static Task Write(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (PostgresPools.IsOutage(error))
        {
            context.RequestServices.GetRequiredService<PostgresPools>().Clear(context.RequestServices);
            context.Response.Headers.RetryAfter = "5";
            return Problems.Write(context, StatusCodes.Status503ServiceUnavailable, "Briefly unavailable",
                "The database connection was lost (a restart or failover); nothing was changed. Try again in a few seconds.");
        }
        var (status, title, detail) = Describe(error);
        if (status >= 500)
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Inlet.Errors").LogError(error, "Unhandled error for {Method} {Path}", context.Request.Method, context.Request.Path);
        return Problems.Write(context, status, title, detail);
    }

    private static (int Status, string Title, string Detail) Describe(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                    return (413, "Request body too large", "The request body exceeds the allowed size; send a smaller body.");
                case JsonException json:
                    return (400, "Malformed JSON", $"The request body is not valid for this endpoint{(json.Path is null ? "" : $" at '{json.Path.TrimStart('$', '.')}'")}: {json.Message.Split(" Path:")[0]}");
                case BadHttpRequestException bad:
                    return (bad.StatusCode, "Bad request", bad.Message);
                case var raced when Concurrency.IsConflict(raced):
                    return (409, "Changed at the same moment", "Somebody (or the token's expiry) changed this at the same moment; nothing was lost. Repeat the request.");
            }
        }
        return (500, "Internal error", "Something went wrong on our side; the error has been logged. Try again, and report it if it persists.");
    }
}
