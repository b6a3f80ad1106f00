using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
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
/// posts here (docs/operations.md). The blob's properties are read back from storage, never trusted
/// from the event.
/// </summary>
public static class EventGridEndpoint
{
    private const string SubjectPrefix = "/blobServices/default/containers/";
    private static readonly JsonSerializerOptions EventJson = new() { PropertyNameCaseInsensitive = true };

    [WolverinePost("/api/ingestion/eventgrid")]
    public static async Task<IResult> Post(HttpRequest request, IOptions<IngestionOptions> options, IHostEnvironment env,
        IQuerySession session, StorageAccount storage, IMessageBus bus, CancellationToken ct)
    {
        var key = options.Value.EventGridKey;
        if (string.IsNullOrEmpty(key) ? !env.IsDevelopment() : request.Query["key"] != key)
            return Results.Problem(Problems.Create(401, "Unknown sender", "Event Grid deliveries must carry the configured ?key= (Ingestion:EventGridKey)."));

        EventGridEvent[]? events;
        try
        {
            events = await JsonSerializer.DeserializeAsync<EventGridEvent[]>(request.Body, EventJson, ct);
        }
        catch (JsonException)
        {
            return Results.Problem(Problems.Create(400, "Malformed events", "Send an Event Grid schema array of events."));
        }

        foreach (var e in events ?? [])
        {
            if (e.EventType == "Microsoft.EventGrid.SubscriptionValidationEvent"
                && e.Data.ValueKind == JsonValueKind.Object && e.Data.TryGetProperty("validationCode", out var code))
                return Results.Json(new Dictionary<string, string?> { ["validationResponse"] = code.GetString() });

            if (e.EventType != "Microsoft.Storage.BlobCreated" || e.Subject is null || !e.Subject.StartsWith(SubjectPrefix, StringComparison.Ordinal))
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
}
