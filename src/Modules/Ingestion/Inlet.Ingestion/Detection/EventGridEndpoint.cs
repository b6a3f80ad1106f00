using System.Net.Mime;
using System.Security.Cryptography;
using System.Text;
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

/// <summary>One delivered event, whichever schema carried it.</summary>
public sealed record DeliveredEvent(string? Type, string? Subject, JsonElement Data);

/// <summary>A blob a delivery says was created: its container and name, as the event's subject gives them.</summary>
public sealed record CreatedBlob(string Container, string BlobName);

/// <summary>What a delivery asks of Inlet: the Event Grid validation handshake's code (the events after it are not read), and the blobs it says were created, in order.</summary>
public sealed record DeliveryRequest(string? ValidationCode, IReadOnlyList<CreatedBlob> Created);

/// <summary>A created blob of a known token container, with the properties storage gave for it (not the event's).</summary>
/// <param name="Account">The storage account of the token's container (<see cref="TokenContainer.Account"/>).</param>
public sealed record FoundBlob(Guid Tid, string Container, string BlobName, ETag ETag, long Size, byte[]? ContentHash, DateTimeOffset LastModified, string? Account = null);

/// <summary>The load step's result: a problem that stops the request, or the validation code and the blobs found.</summary>
/// <param name="Options">The Ingestion settings the blobs are routed by (their size lanes).</param>
public sealed record EventGridDelivery(IResult? Refused, string? ValidationCode, IReadOnlyList<FoundBlob> Found, IngestionOptions? Options = null);

/// <summary>The pure decisions of push detection (tests/Inlet.Ingestion.Tests): what a delivery asks for, and what is routed for it.</summary>
public static class EventGridDecisions
{
    public const string BlobCreated = "Microsoft.Storage.BlobCreated";
    public const string SubscriptionValidation = "Microsoft.EventGrid.SubscriptionValidationEvent";
    private const string SubjectPrefix = "/blobServices/default/containers/";
    private const string BlobsInfix = "/blobs/";

    /// <summary>
    /// The blobs a delivery names as created, in order, up to a subscription validation event (answered with its
    /// code; what follows it is not read). Other event types and subjects that name no blob are ignored.
    /// </summary>
    public static DeliveryRequest Read(IEnumerable<DeliveredEvent> events)
    {
        var created = new List<CreatedBlob>();
        foreach (var e in events)
        {
            if (e.Type == SubscriptionValidation
                && e.Data.ValueKind == JsonValueKind.Object && e.Data.TryGetProperty("validationCode", out var code))
                return new DeliveryRequest(code.GetString(), created);
            if (e.Type == BlobCreated && Subject(e.Subject) is { } blob)
                created.Add(blob);
        }
        return new DeliveryRequest(null, created);
    }

    /// <summary>The container and blob a BlobCreated subject names (<c>/blobServices/default/containers/{c}/blobs/{name}</c>), or null.</summary>
    public static CreatedBlob? Subject(string? subject)
    {
        if (subject is null || !subject.StartsWith(SubjectPrefix, StringComparison.Ordinal))
            return null;
        var rest = subject[SubjectPrefix.Length..];
        var split = rest.IndexOf(BlobsInfix, StringComparison.Ordinal);
        return split <= 0 ? null : new CreatedBlob(rest[..split], rest[(split + BlobsInfix.Length)..]);
    }

    /// <summary>
    /// One <see cref="IngestBlob"/> per blob found, described by storage's properties (routing is exactly-once per blob
    /// version, so a duplicate is harmless), each sent to its size lane's queue (<see cref="RoutingLanes.Publish"/>).
    /// </summary>
    public static OutgoingMessages Ingest(IEnumerable<FoundBlob> found, IngestionOptions options)
    {
        var messages = new OutgoingMessages();
        foreach (var blob in found)
            messages.Add(RoutingLanes.Publish(new IngestBlob(blob.Tid, blob.Container, blob.BlobName, BlobETags.Unquoted(blob.ETag.ToString()), blob.Size,
                IngestBlob.Md5Text(blob.ContentHash), blob.LastModified, blob.Account), options));
        return messages;
    }
}

/// <summary>
/// The CloudEvents webhook handshake (abuse protection) that Event Grid sends before its first CloudEvents
/// delivery: the origin it names is allowed, for a sender that knows the key. Apart from
/// <see cref="EventGridEndpoint"/> so that the delivery's load step does not run for it.
/// </summary>
public static class EventGridHandshakeEndpoint
{
    [WolverineOptions(EventGridEndpoint.Route)]
    public static IResult Options(HttpRequest request, HttpResponse response, IOptions<IngestionOptions> options)
    {
        if (EventGridEndpoint.Refused(request, options.Value) is { } refused)
            return refused;
        var origin = request.Headers["WebHook-Request-Origin"].ToString();
        if (string.IsNullOrEmpty(origin))
            return Results.Problem(Problems.Validation("WebHook-Request-Origin", "A CloudEvents webhook handshake names its sender in the WebHook-Request-Origin header."));
        response.Headers["WebHook-Allowed-Origin"] = origin;
        response.Headers["WebHook-Allowed-Rate"] = "*";
        return Results.Ok();
    }
}

/// <summary>
/// Push-driven detection on real Azure: an Event Grid subscription for Microsoft.Storage.BlobCreated
/// posts here (docs/operations.md), in the Event Grid schema (a JSON array) or the CloudEvents 1.0 schema
/// (`application/cloudevents+json`, one event, or `application/cloudevents-batch+json`), decoded and
/// checked by the CNCF CloudEvents SDK. The blob's properties are read back from storage, never trusted
/// from the event.
/// An A-frame: <see cref="LoadAsync"/> reads the delivery, finds each named blob's token and reads the blob's
/// properties from storage; <see cref="Post"/> decides (<see cref="EventGridDecisions"/>) and returns the
/// <see cref="IngestBlob"/> messages, which Wolverine's outbox stores in the endpoint's Marten transaction
/// before the 200 is written: an acknowledged delivery is never lost with a crash (as when it was published inline).
/// </summary>
public static class EventGridEndpoint
{
    public const string Route = "/api/ingestion/eventgrid";
    private static readonly JsonSerializerOptions EventJson = new() { PropertyNameCaseInsensitive = true };
    private static readonly JsonEventFormatter CloudEventJson = new();

    /// <param name="session">The handler's session (read from only): taking it puts the endpoint in a Marten transaction, which is what stores the outgoing messages before the answer.</param>
    public static async Task<EventGridDelivery> LoadAsync(HttpRequest request, IOptions<IngestionOptions> options,
        IDocumentSession session, StorageAccounts storage, CancellationToken ct)
    {
        // First, before the body is read or storage or the database is asked anything.
        if (Refused(request, options.Value) is { } refused)
            return new EventGridDelivery(refused, null, []);
        var (events, malformed) = await Decode(request, ct);
        if (malformed is not null)
            return new EventGridDelivery(malformed, null, []);

        var asked = EventGridDecisions.Read(events!);
        var found = new List<FoundBlob>();
        foreach (var created in asked.Created)
        {
            var token = await session.Query<TokenContainer>().FirstOrDefaultAsync(t => t.Container == created.Container, ct);
            if (token is null)
                continue;
            // A child of the delivery's request span: one delivery may carry several blobs.
            using var detect = InletTelemetry.Source.StartActivity("ingest.detect");
            detect?.SetTag(InletTelemetry.DetectedBy, "eventgrid")
                .SetTag(InletTelemetry.TokenId, token.Id)
                .SetTag(InletTelemetry.Container, created.Container)
                .SetTag(InletTelemetry.BlobName, created.BlobName);
            // Null: already routed (and removed) by the poller. By its literal address where the SDK would read another blob.
            // In the account the token's container is in (the event's topic names it too; the record is what Inlet trusts).
            if (await LiteralBlobs.Properties(storage.Holding(token.Account), created.Container, created.BlobName, ct) is { } properties)
            {
                detect?.SetTag(InletTelemetry.BlobSize, properties.Size);
                found.Add(new FoundBlob(token.Id, created.Container, created.BlobName, properties.ETag, properties.Size, properties.ContentHash, properties.LastModified,
                    token.Account));
            }
        }
        return new EventGridDelivery(null, asked.ValidationCode, found, options.Value);
    }

    public static IResult Validate(EventGridDelivery delivery) => delivery.Refused ?? WolverineContinue.Result();

    /// <param name="delivery">From <see cref="LoadAsync"/>: the body is read there, in whichever schema it came.</param>
    [WolverinePost(Route)]
    public static (IResult, OutgoingMessages) Post([NotBody] EventGridDelivery delivery)
    {
        var messages = EventGridDecisions.Ingest(delivery.Found, delivery.Options ?? new IngestionOptions());
        IResult answer = delivery.ValidationCode is { } code
            ? Results.Json(new Dictionary<string, string?> { ["validationResponse"] = code })
            : Results.Ok();
        return (answer, messages);
    }

    /// <summary>The delivery's events, or the problem answer for a body that is not one of the accepted schemas.</summary>
    private static async Task<(IReadOnlyList<DeliveredEvent>? Events, IResult? Malformed)> Decode(HttpRequest request, CancellationToken ct)
    {
        ContentType? contentType;
        try
        {
            contentType = request.ContentType is { } type ? new ContentType(type) : null;
        }
        catch (FormatException)
        {
            return (null, Results.Problem(Problems.Validation("Content-Type", "Event Grid schema deliveries are application/json; CloudEvents 1.0 are application/cloudevents+json or application/cloudevents-batch+json.")));
        }

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
                return (decoded.Select(e => new DeliveredEvent(e.Type, e.Subject, e.Data is JsonElement data ? data : default)).ToList(), null);
            }
            catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException)
            {
                return (null, Results.Problem(Problems.Create(400, "Malformed CloudEvents", $"Send CloudEvents 1.0 in structured JSON mode, each event with specversion \"1.0\", id, source and type ({ex.Message}).")));
            }
        }
        try
        {
            var grid = await JsonSerializer.DeserializeAsync<EventGridEvent[]>(request.Body, EventJson, ct);
            return ((grid ?? []).Select(e => new DeliveredEvent(e.EventType, e.Subject, e.Data)).ToList(), null);
        }
        catch (JsonException)
        {
            return (null, Results.Problem(Problems.Create(400, "Malformed events", "Send an Event Grid schema array of events, or CloudEvents 1.0 (application/cloudevents+json or application/cloudevents-batch+json).")));
        }
    }

    /// <summary>
    /// A delivery without the configured key is refused, and with no key configured every delivery is (in Development too):
    /// an endpoint that routes on anyone's word would let a stranger make Inlet read any blob name in any token container.
    /// The keys are compared as SHA-256 digests in constant time, so neither the key's bytes nor its length leak through timing.
    /// </summary>
    internal static IResult? Refused(HttpRequest request, IngestionOptions options)
    {
        var key = options.EventGridKey;
        if (string.IsNullOrEmpty(key))
            return Results.Problem(Problems.Create(401, "Event Grid deliveries are off",
                "No Ingestion:EventGridKey is configured, so no delivery can be authenticated; Inlet finds uploads by listing instead. Configure the key and subscribe with ?key=<it>."));
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(request.Query["key"].ToString()));
        return CryptographicOperations.FixedTimeEquals(given, SHA256.HashData(Encoding.UTF8.GetBytes(key)))
            ? null
            : Results.Problem(Problems.Create(401, "Unknown sender", "Event Grid deliveries must carry the configured ?key= (Ingestion:EventGridKey)."));
    }
}
