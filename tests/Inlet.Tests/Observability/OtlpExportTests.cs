using System.Collections.Concurrent;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;

namespace Inlet.Tests.Observability;

/// <summary>A stand-in OTLP/HTTP collector: records which signal paths were posted to, answers 200.</summary>
public sealed class FakeCollector : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();

    public FakeCollector()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Endpoint = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}";
        }
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _ = Task.Run(Serve);
    }

    public string Endpoint { get; }

    public ConcurrentDictionary<string, int> Posts { get; } = new();

    private async Task Serve()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); } catch { return; }
            await context.Request.InputStream.CopyToAsync(Stream.Null);
            if (context.Request.HttpMethod == "POST" && context.Request.ContentType?.Contains("protobuf", StringComparison.Ordinal) == true)
                Posts.AddOrUpdate(context.Request.Url!.AbsolutePath, 1, (_, n) => n + 1);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }
}

public sealed class OtlpInletApp : InletApp, IDisposable
{
    public FakeCollector Collector { get; } = new();

    protected override void Configure(IWebHostBuilder builder)
    {
        builder.UseSetting("Telemetry:Otlp:Endpoint", Collector.Endpoint);
        builder.UseSetting("Telemetry:Otlp:Protocol", "http/protobuf");
        // The SDK's own settings, shortened so that the test need not wait a minute for metrics.
        builder.UseSetting("OTEL_BSP_SCHEDULE_DELAY", "200");
        builder.UseSetting("OTEL_METRIC_EXPORT_INTERVAL", "500");
    }

    public void Dispose() => Collector.Dispose();
}

/// <summary>Export is switched on by configuration alone: Telemetry:Otlp:Endpoint sends traces and metrics there.</summary>
public sealed class OtlpExportTests(OtlpInletApp app) : IClassFixture<OtlpInletApp>
{
    [Fact]
    public async Task With_Telemetry_Otlp_Endpoint_set_traces_and_metrics_are_posted_to_the_collector()
    {
        var ws = InletApp.NewWorkspace("otlp");
        var alice = await app.SignedIn("alice", ws);
        await alice.Issue(ws);
        await TokenApi.Eventually(() => Task.FromResult(app.Collector.Posts.ContainsKey("/v1/traces") && app.Collector.Posts.ContainsKey("/v1/metrics")), 30,
            $"OTLP posts to /v1/traces and /v1/metrics (saw {string.Join(", ", app.Collector.Posts.Keys)})");
    }
}
