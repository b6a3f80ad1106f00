using System.Net.Mime;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using CloudNative.CloudEvents.SystemTextJson;
using Inlet.BuildingBlocks.Http;
using Inlet.BuildingBlocks.Storage;
using Inlet.BuildingBlocks.Telemetry;
using Inlet.Ingestion.Routing;
using Inlet.Ingestion.TokenContainers;
using Marten;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Wolverine;
using Wolverine.Http;

namespace Inlet.Ingestion.Detection;

public sealed record EventGridEvent(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("eventType")] string? EventType,
    [property: JsonPropertyName("subject")] string? Subject,
    [property: JsonPropertyName("topic")] string? Topic,
    [property: JsonPropertyName("data")] JsonElement Data);

/// <summary>
/// Push-driven detection on real Azure: an Event Grid subscription for Microsoft.Storage.BlobCreated
/// posts here (docs/operations.md), in the Event Grid schema (a JSON array) or the CloudEvents 1.0 schema
/// (`application/cloudevents+json`, one event, or `application/cloudevents-batch+json`), decoded and
/// checked by the CNCF CloudEvents SDK. The blob's properties are read back from storage, never trusted
/// from the event.
/// </summary>
public static class EventGridEndpoint
{
    private const string Route = "/api/ingestion/eventgrid";
    private const string SubjectPrefix = "/blobServices/default/containers/";
    private const string BlobCreated = "Microsoft.Storage.BlobCreated";
    private static readonly JsonSerializerOptions EventJson = new() { PropertyNameCaseInsensitive = true };
    private static readonly JsonEventFormatter CloudEventJson = new();

    /// <summary>One delivered event, whichever schema carried it.</summary>
    private sealed record Delivered(string? Type, string? Subject, JsonElement Data);

    /// <summary>
    /// The CloudEvents webhook handshake (abuse protection) that Event Grid sends before its first CloudEvents
    /// delivery: the origin it names is allowed, for a sender that knows the key.
    /// </summary>
    [WolverineOptions(Route)]
    public static IResult Options(HttpRequest request, HttpResponse response, IOptions<IngestionOptions> options, IHostEnvironment env)
    {
        if (Refused(request, options.Value, env) is { } refused)
            return refused;
        var origin = request.Headers["WebHook-Request-Origin"].ToString();
        if (string.IsNullOrEmpty(origin))
            return Results.Problem(Problems.Validation("WebHook-Request-Origin", "A CloudEvents webhook handshake names its sender in the WebHook-Request-Origin header."));
        response.Headers["WebHook-Allowed-Origin"] = origin;
        response.Headers["WebHook-Allowed-Rate"] = "*";
        return Results.Ok();
    }

    [WolverinePost(Route)]
    public static async Task<IResult> Post(HttpRequest request, IOptions<IngestionOptions> options, IHostEnvironment env,
        IQuerySession session, StorageAccount storage, IMessageBus bus, CancellationToken ct)
    {
        if (Refused(request, options.Value, env) is { } refused)
            return refused;

        ContentType? contentType;
        try
        {
            contentType = request.ContentType is { } type ? new ContentType(type) : null;
        }
        catch (FormatException)
        {
            return Results.Problem(Problems.Validation("Content-Type", "Event Grid schema deliveries are application/json; CloudEvents 1.0 are application/cloudevents+json or application/cloudevents-batch+json."));
        }

        List<Delivered> events;
        var mediaType = contentType?.MediaType;
        if (mediaType is "application/cloudevents+json" or "application/cloudevents-batch+json")
        {
            try
            {
                // The SDK reads synchronously from the stream it is given: the delivery is buffered first (Event Grid sends at most 1 MB).
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body, ct);
                body.Position = 0;
                var decoded = mediaType == "application/cloudevents+json"
                    ? [await CloudEventJson.DecodeStructuredModeMessageAsync(body, contentType, null)]
                    : await CloudEventJson.DecodeBatchModeMessageAsync(body, contentType, null);
                events = decoded.Select(e => new Delivered(e.Type, e.Subject, e.Data is JsonElement data ? data : default)).ToList();
            }
            catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException)
            {
                return Results.Problem(Problems.Create(400, "Malformed CloudEvents", $"Send CloudEvents 1.0 in structured JSON mode, each event with specversion \"1.0\", id, source and type ({ex.Message})."));
            }
        }
        else
        {
            try
            {
                var grid = await JsonSerializer.DeserializeAsync<EventGridEvent[]>(request.Body, EventJson, ct);
                events = (grid ?? []).Select(e => new Delivered(e.EventType, e.Subject, e.Data)).ToList();
            }
            catch (JsonException)
            {
                return Results.Problem(Problems.Create(400, "Malformed events", "Send an Event Grid schema array of events, or CloudEvents 1.0 (application/cloudevents+json or application/cloudevents-batch+json)."));
            }
        }

        foreach (var e in events)
        {
            if (e.Type == "Microsoft.EventGrid.SubscriptionValidationEvent"
                && e.Data.ValueKind == JsonValueKind.Object && e.Data.TryGetProperty("validationCode", out var code))
                return Results.Json(new Dictionary<string, string?> { ["validationResponse"] = code.GetString() });

            if (e.Type != BlobCreated || e.Subject is null || !e.Subject.StartsWith(SubjectPrefix, StringComparison.Ordinal))
                continue;
            var rest = e.Subject[SubjectPrefix.Length..];
            var split = rest.IndexOf("/blobs/", StringComparison.Ordinal);
            if (split <= 0)
                continue;
            var containerName = rest[..split];
            var blobName = rest[(split + "/blobs/".Length)..];
            var token = await session.Query<TokenContainer>().FirstOrDefaultAsync(t => t.Container == containerName, ct);
            if (token is null)
                continue;
            // A child of the delivery's request span: one delivery may carry several blobs.
            using var detect = InletTelemetry.Source.StartActivity("ingest.detect");
            detect?.SetTag(InletTelemetry.DetectedBy, "eventgrid")
                .SetTag(InletTelemetry.TokenId, token.Id)
                .SetTag(InletTelemetry.Container, containerName)
                .SetTag(InletTelemetry.BlobName, blobName);
            try
            {
                var properties = (await storage.Container(containerName).GetBlobClient(blobName).GetPropertiesAsync(cancellationToken: ct)).Value;
                detect?.SetTag(InletTelemetry.BlobSize, properties.ContentLength);
                await bus.PublishAsync(new IngestBlob(token.Id, containerName, blobName, properties.ETag.ToString(), properties.ContentLength,
                    IngestBlob.Md5Text(properties.ContentHash), properties.LastModified));
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Already routed (and removed) by the poller.
            }
        }
        return Results.Ok();
    }

    /// <summary>A delivery without the configured key is refused (in Development, without a key configured, anyone may post).</summary>
    private static IResult? Refused(HttpRequest request, IngestionOptions options, IHostEnvironment env)
    {
        var key = options.EventGridKey;
        return (string.IsNullOrEmpty(key) ? !env.IsDevelopment() : request.Query["key"] != key)
            ? Results.Problem(Problems.Create(401, "Unknown sender", "Event Grid deliveries must carry the configured ?key= (Ingestion:EventGridKey)."))
            : null;
    }
}
