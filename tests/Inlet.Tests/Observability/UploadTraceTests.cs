using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Azure.Storage.Blobs;
using Inlet.BuildingBlocks.Telemetry;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Inlet.Tests.Observability;

/// <summary>An Inlet Host whose spans also go to an in-memory exporter, and whose Inlet meter a test can read.</summary>
public sealed class TracedInletApp : InletApp, IDisposable
{
    public const string TestSource = "Inlet.Tests";

    public SpanLog Spans { get; } = new();

    private readonly ConcurrentDictionary<string, double> _sums = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();
    private MeterListener? _listener;

    protected override void Configure(IWebHostBuilder builder) =>
        builder.ConfigureServices(services => services.ConfigureOpenTelemetryTracerProvider(tracing => tracing
            .AddSource(TestSource)
            .AddInMemoryExporter(Spans)));

    /// <summary>
    /// Listens to this Host's own "Inlet" meter (its IMeterFactory's), not to those of other test Hosts
    /// in the process. Sums are kept per instrument and per instrument|tag=value.
    /// </summary>
    public void ListenToMetrics()
    {
        if (_listener is not null)
            return;
        var factory = Host.Services.GetRequiredService<IMeterFactory>();
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == InletTelemetry.Name && ReferenceEquals(instrument.Meter.Scope, factory))
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (instrument.GetType().Name.StartsWith("Observable", StringComparison.Ordinal))
        {
            _sums[instrument.Name] = value; // a gauge: its latest value
            return;
        }
        _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
        _counts.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1);
        foreach (var tag in tags)
        {
            var key = $"{instrument.Name}|{tag.Key}={tag.Value}";
            _sums.AddOrUpdate(key, value, (_, sum) => sum + value);
            _counts.AddOrUpdate(key, 1, (_, n) => n + 1);
        }
    }

    public double Sum(string key)
    {
        _listener?.RecordObservableInstruments();
        return _sums.GetValueOrDefault(key);
    }

    public long Count(string key) => _counts.GetValueOrDefault(key);

    public void Dispose() => _listener?.Dispose();
}

/// <summary>The exporter's collection: it adds from handler threads while a test reads.</summary>
public sealed class SpanLog : ICollection<Activity>
{
    private readonly List<Activity> _spans = [];

    public List<Activity> Snapshot()
    {
        lock (_spans)
            return [.. _spans];
    }

    public void Add(Activity item)
    {
        lock (_spans)
            _spans.Add(item);
    }

    public void Clear()
    {
        lock (_spans)
            _spans.Clear();
    }

    public bool Contains(Activity item) => Snapshot().Contains(item);
    public void CopyTo(Activity[] array, int arrayIndex) => Snapshot().CopyTo(array, arrayIndex);
    public bool Remove(Activity item)
    {
        lock (_spans)
            return _spans.Remove(item);
    }

    public int Count => Snapshot().Count;
    public bool IsReadOnly => false;
    public IEnumerator<Activity> GetEnumerator() => Snapshot().GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// One upload followed end to end in its trace: the real AzCopy puts a CSV into a database token's
/// container, and the spans of detection, routing, the hand-over to Tabular and the table load form one
/// parent chain. The metrics move with it, and no span carries a SAS signature or a key.
/// </summary>
public sealed class UploadTraceTests(TracedInletApp app) : IClassFixture<TracedInletApp>
{
    private static readonly ActivitySource Test = new(TracedInletApp.TestSource);

    private const string Csv = "station,measured_on,temperature\nA,2026-01-01,3.5\nB,2026-01-02,-1.25\nC,2026-01-03,0\n";

    private static object? Tag(Activity span, string key) => span.GetTagItem(key);

    private static string Describe(IEnumerable<Activity> spans) =>
        string.Join("\n", spans.Select(s => $"{s.Source.Name}:{s.DisplayName} trace={s.TraceId} span={s.SpanId} parent={s.ParentSpanId}"));

    [Fact]
    public async Task One_uploaded_CSV_is_one_trace_from_detection_through_routing_to_the_table_load_and_the_metrics_count_it()
    {
        app.ListenToMetrics();
        var issuedBefore = app.Sum("inlet.tokens.issued");
        var filesBefore = app.Sum("inlet.files.ingested|inlet.routed_to=database");
        var bytesBefore = app.Sum("inlet.bytes.ingested|inlet.routed_to=database");
        var tablesBefore = app.Sum("inlet.tables.loaded");
        var replacedBefore = app.Sum("inlet.tables.loaded|inlet.mode=replace");
        var lagBefore = app.Count("inlet.routing.lag");

        var ws = InletApp.NewWorkspace("otel");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "traced upload", upload_to_database = true });
        var tid = token.Str("tid");
        await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(("readings.csv", Csv)), 1);
        Assert.Contains((await alice.GetJson($"/api/workspaces/{ws}/tables")).EnumerateArray(), t => t.Str("name") == "readings");

        // The load's span, then its ancestors up to the root, all exported (a parent may end after its child).
        Activity load = null!;
        List<Activity> chain = [];
        await TokenApi.Eventually(() =>
        {
            var spans = app.Spans.Snapshot();
            load = spans.SingleOrDefault(s => s.DisplayName == "table.load" && Tag(s, InletTelemetry.TokenId)?.ToString() == tid)!;
            if (load is null)
                return Task.FromResult(false);
            var byId = spans.Where(s => s.TraceId == load.TraceId).ToDictionary(s => s.SpanId);
            chain = [load];
            while (chain[^1].ParentSpanId != default && byId.TryGetValue(chain[^1].ParentSpanId, out var parent))
                chain.Add(parent);
            return Task.FromResult(chain[^1].ParentSpanId == default);
        }, 30, "the table load's span and every ancestor up to a root exported");

        var names = chain.Select(s => s.DisplayName).ToList();
        var detect = chain[^1];
        Assert.True(detect.DisplayName == "ingest.detect", $"the trace's root is the detection, but the chain is:\n{Describe(chain)}");
        Assert.Equal("poll", Tag(detect, InletTelemetry.DetectedBy));
        Assert.Equal(tid, Tag(detect, InletTelemetry.TokenId)?.ToString());
        Assert.Equal("readings.csv", Tag(detect, InletTelemetry.BlobName));
        Assert.Equal((long)Csv.Length, Tag(detect, InletTelemetry.BlobSize));
        Assert.All(chain, s => Assert.Equal(detect.TraceId, s.TraceId));

        var route = chain.Single(s => s.DisplayName == "ingest.route");
        Assert.Equal("staged", Tag(route, InletTelemetry.Outcome));
        Assert.Equal("database", Tag(route, InletTelemetry.RoutedTo));
        Assert.True(names.IndexOf("ingest.route") < names.IndexOf("ingest.detect"));
        // Between routing and the load, Wolverine's spans carry the trace through the durable local queues:
        // DatabaseFileStaged to Tabular, then LoadTable, scheduled for after the metadata grace (no metadata came).
        var between = chain.Skip(1).TakeWhile(s => s != route).ToList();
        Assert.True(between.Any(s => s.Source.Name == "Wolverine" && s.DisplayName.Contains("DatabaseFileStaged", StringComparison.Ordinal)),
            $"a Wolverine span for DatabaseFileStaged between routing and loading:\n{Describe(chain)}");
        Assert.True(between.Any(s => s.Source.Name == "Wolverine" && s.DisplayName.Contains("LoadTable", StringComparison.Ordinal)),
            $"a Wolverine span for LoadTable between routing and loading:\n{Describe(chain)}");
        Assert.Equal("loaded", Tag(load, InletTelemetry.Outcome));
        Assert.Equal("readings", Tag(load, InletTelemetry.Table));
        Assert.Equal(3L, Tag(load, InletTelemetry.Rows));

        // The routing did its storage and database work inside the trace.
        var traced = app.Spans.Snapshot().Where(s => s.TraceId == detect.TraceId).ToList();
        Assert.Contains(traced, s => s.Source.Name == "Npgsql");
        Assert.Contains(traced, s => s.Source.Name.StartsWith("Azure", StringComparison.Ordinal) || s.Source.Name == "System.Net.Http");

        await TokenApi.Eventually(() => Task.FromResult(app.Sum("inlet.tables.loaded") >= tablesBefore + 1), 10, "inlet.tables.loaded counted the load");
        Assert.Equal(1, app.Sum("inlet.tokens.issued") - issuedBefore);
        Assert.Equal(1, app.Sum("inlet.files.ingested|inlet.routed_to=database") - filesBefore);
        Assert.Equal(Csv.Length, app.Sum("inlet.bytes.ingested|inlet.routed_to=database") - bytesBefore);
        Assert.Equal(1, app.Sum("inlet.tables.loaded") - tablesBefore);
        Assert.Equal(1, app.Sum("inlet.tables.loaded|inlet.mode=replace") - replacedBefore);
        Assert.Equal(1, app.Count("inlet.routing.lag") - lagBefore);
        Assert.InRange(app.Sum("inlet.tokens.active"), 1, 1000);
    }

    [Fact]
    public async Task Refused_files_are_counted_as_rejected_by_stage_and_their_spans_say_so()
    {
        app.ListenToMetrics();
        var databaseBefore = app.Sum("inlet.uploads.rejected|inlet.stage=database");
        var routingBefore = app.Sum("inlet.uploads.rejected|inlet.stage=routing");
        var ws = InletApp.NewWorkspace("otel");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "a broken file", upload_to_database = true, bad_rows = "refuse" }); // without it, the ragged row would be listed at rejects and the rest loaded
        var tid = token.Str("tid");
        await AzCopy.Upload(LocalFiles.Folder(("broken.csv", "a,b\n1,2\n3\n")), token);
        // A name no workspace path may have is quarantined by routing (AzCopy would not send it; another client may).
        await new BlobContainerClient(new Uri(token.Str("token"))).GetBlobClient("   /only-spaces.txt").UploadAsync(BinaryData.FromString("x"));

        await TokenApi.Eventually(() => Task.FromResult(
            app.Sum("inlet.uploads.rejected|inlet.stage=database") >= databaseBefore + 1 && app.Sum("inlet.uploads.rejected|inlet.stage=routing") >= routingBefore + 1), 60,
            "inlet.uploads.rejected counted the refused CSV (stage=database) and the quarantined name (stage=routing)");
        Assert.Equal(1, app.Sum("inlet.uploads.rejected|inlet.stage=database") - databaseBefore);
        Assert.Equal(1, app.Sum("inlet.uploads.rejected|inlet.stage=routing") - routingBefore);

        // A counter is added to inside its span, which ends (and is collected) a moment later.
        List<System.Diagnostics.Activity> spans = [];
        await TokenApi.Eventually(() =>
        {
            spans = app.Spans.Snapshot().Where(s => Tag(s, InletTelemetry.TokenId)?.ToString() == tid).ToList();
            return Task.FromResult(spans.Count(s => s.DisplayName == "ingest.route") >= 2 && spans.Any(s => s.DisplayName == "table.load"));
        }, 10, "the spans of both routes and of the load ended");
        var load = spans.Single(s => s.DisplayName == "table.load");
        Assert.Equal("refused", Tag(load, InletTelemetry.Outcome));
        Assert.DoesNotContain(load.TagObjects, t => t.Value is string s && s.Contains("line 3", StringComparison.Ordinal)); // the reason quotes the file
        Assert.Contains(spans, s => s.DisplayName == "ingest.route" && Tag(s, InletTelemetry.BlobName) is "   /only-spaces.txt" && Tag(s, InletTelemetry.Outcome) is "rejected");
    }

    [Fact]
    public async Task Idle_polling_of_a_token_container_leaves_no_spans()
    {
        var ws = InletApp.NewWorkspace("otel");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "nothing will come" });
        var issuedAt = DateTime.UtcNow;
        await Task.Delay(TimeSpan.FromSeconds(3)); // the poller lists the new, empty container every 0.5 s

        var spans = app.Spans.Snapshot().Where(s => s.StartTimeUtc >= issuedAt).ToList();
        Assert.DoesNotContain(spans, s => s.DisplayName == "ingest.detect" && Tag(s, InletTelemetry.TokenId)?.ToString() == token.Str("tid"));
        // Listings and database polls outside any operation are dropped at the root, not exported one by one.
        var roots = spans.Where(s => s.ParentSpanId == default).ToList();
        Assert.DoesNotContain(roots, s => s.Kind == ActivityKind.Client || s.Source.Name.StartsWith("Azure", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_span_carries_a_SAS_signature_or_a_key_even_where_a_URL_held_one()
    {
        var ws = InletApp.NewWorkspace("otel");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "secrets stay out of traces" });
        var sas = new Uri(token.Str("token"));
        var signature = System.Web.HttpUtility.ParseQueryString(sas.Query)["sig"]!;

        // Places where a secret sits in a URL: a SAS used by a storage client (outgoing HTTP), a request to
        // Inlet whose query string quotes a SAS, and an Event Grid delivery with its ?key=.
        using (Test.StartActivity("test.sas-call"))
        {
            // An upload token may write, not list: storage refuses, but the request (and its URL) was made.
            var refused = await Assert.ThrowsAsync<Azure.RequestFailedException>(async () =>
            {
                await foreach (var _ in new BlobContainerClient(sas).GetBlobsAsync())
                {
                }
            });
            Assert.Equal(403, refused.Status);
        }
        using (Test.StartActivity("test.sas-in-query"))
            await alice.GetAsync($"/api/workspaces/{ws}/upload-tokens{sas.Query}");
        var delivery = await alice.PostAsync($"/api/ingestion/eventgrid?key={InletApp.EventGridKey}", JsonContent.Create(Array.Empty<object>()));
        Assert.Equal(HttpStatusCode.OK, delivery.StatusCode);

        List<Activity> spans = [];
        await TokenApi.Eventually(() =>
        {
            spans = app.Spans.Snapshot();
            return Task.FromResult(
                spans.Any(s => s.Kind == ActivityKind.Client && s.GetTagItem("url.full") is string url && url.Contains(sas.AbsolutePath, StringComparison.Ordinal))
                && spans.Any(s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") is string path && path == $"/api/workspaces/{ws}/upload-tokens")
                && spans.Any(s => s.Kind == ActivityKind.Server && s.GetTagItem("url.path") is "/api/ingestion/eventgrid"));
        }, 10, "the SAS call and both requests traced");
        string[] secrets = ["sig=", signature, Uri.EscapeDataString(signature), InletApp.EventGridKey, "AccountKey", "Eby8vdM02xNOcqFlqUwJPLlm"];
        foreach (var span in spans)
        {
            var texts = span.TagObjects.Select(t => $"{t.Key}={t.Value}")
                .Concat(span.Events.SelectMany(e => e.Tags.Select(t => $"{e.Name}:{t.Key}={t.Value}")))
                .Append(span.DisplayName).Append(span.StatusDescription ?? "");
            foreach (var text in texts)
                foreach (var secret in secrets)
                    Assert.False(text.Contains(secret, StringComparison.Ordinal), $"span {span.Source.Name}:{span.DisplayName} carries '{secret}': {text}");
        }
    }
}
