using System.Diagnostics;
using System.Text.RegularExpressions;
using Inlet.BuildingBlocks.Telemetry;
using Marten;
using Npgsql;
using Wolverine;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Inlet.Host.Telemetry;

/// <summary>
/// OpenTelemetry for the Host (docs/adr/0013): traces and metrics are always collected in-process, so
/// any listener (a test's in-memory exporter) sees them; they leave the process only when an OTLP
/// endpoint is configured.
/// </summary>
public static partial class TelemetrySetup
{
    /// <summary>Configuration key of the OTLP endpoint; the standard OTEL_EXPORTER_OTLP_ENDPOINT works too.</summary>
    public const string OtlpEndpointKey = "Telemetry:Otlp:Endpoint";

    public static IServiceCollection AddInletTelemetry(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton<InletMetrics>();
        if (config.GetValue("Telemetry:AzureSdkTracing", true))
            AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true); // Azure.Core's spans are still behind this switch
        services.ConfigureMarten(opts => opts.OpenTelemetry.TrackEventCounters());

        // Wolverine traces every node-assignment health check (every 5 s); one an hour shows it is alive.
        services.ConfigureWolverine(opts => opts.Durability.NodeAssignmentHealthCheckTraceSamplingPeriod = TimeSpan.FromHours(1));

        var endpoint = config[OtlpEndpointKey];
        if (!string.IsNullOrWhiteSpace(endpoint) && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
            throw new InvalidOperationException($"{OtlpEndpointKey} must be an absolute URL such as http://collector:4317, not '{endpoint}'.");
        var standardEndpoint = config["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var otlp = !string.IsNullOrWhiteSpace(endpoint) || !string.IsNullOrWhiteSpace(standardEndpoint);
        var protocol = string.Equals(config["Telemetry:Otlp:Protocol"], "http/protobuf", StringComparison.OrdinalIgnoreCase)
            ? OtlpExportProtocol.HttpProtobuf
            : OtlpExportProtocol.Grpc;
        void Otlp(OtlpExporterOptions o, string signalPath)
        {
            if (string.IsNullOrWhiteSpace(endpoint))
                return; // the SDK reads OTEL_EXPORTER_OTLP_* itself
            o.Protocol = protocol;
            // Set in code, an HTTP endpoint is taken as the signal's full URL; gRPC has no per-signal path.
            o.Endpoint = new Uri(protocol == OtlpExportProtocol.HttpProtobuf ? endpoint.TrimEnd('/') + signalPath : endpoint);
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(config["OTEL_SERVICE_NAME"] ?? config["Telemetry:ServiceName"] ?? "inlet"))
            .WithTracing(tracing =>
            {
                tracing
                    .SetSampler(new ParentBasedSampler(new NoBackgroundClientCalls()))
                    .AddSource(InletTelemetry.Name, "Wolverine", "Marten", "Azure.*")
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql()
                    .AddProcessor(new RedactSecrets());
                if (otlp)
                    tracing.AddOtlpExporter(o => Otlp(o, "/v1/traces"));
            })
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(InletTelemetry.Name, "Wolverine:*", "Marten")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation();
                if (otlp)
                    metrics.AddOtlpExporter(o => Otlp(o, "/v1/metrics"));
            });
        return services;
    }

    /// <summary>
    /// A root span from a client library (a database command, an HTTP or storage call) is background
    /// polling: the poller listing idle containers, Wolverine's durability agent. Thousands of idle tokens
    /// would bury the traces that matter, so such calls are traced only inside an Inlet operation
    /// (a request, a handled message, a detection).
    /// </summary>
    private sealed class NoBackgroundClientCalls : Sampler
    {
        public override SamplingResult ShouldSample(in SamplingParameters parameters)
        {
            if (parameters.Kind == ActivityKind.Client)
                return new SamplingResult(SamplingDecision.Drop);
            if (parameters.Tags is { } tags)
                foreach (var tag in tags)
                    if (tag.Key == "az.namespace")
                        return new SamplingResult(SamplingDecision.Drop); // an Azure SDK operation span
            return new SamplingResult(SamplingDecision.RecordAndSample);
        }
    }

    /// <summary>
    /// Keeps SAS signatures and keys out of every exported span: query strings are removed from URL tags
    /// (a SAS is all query string, and Event Grid's key is too), and any other tag or name that quotes a
    /// signature is scrubbed. Runs before the exporters, which only see the redacted span.
    /// </summary>
    internal sealed partial class RedactSecrets : BaseProcessor<Activity>
    {
        private static readonly HashSet<string> UrlTags = ["url.full", "http.url", "url.original", "http.target", "url.query", "server.address.full"];

        [GeneratedRegex(@"(?i)\b(sig|signature|key|code|access_token)=[^&\s""']*")]
        private static partial Regex SecretParameter();

        // A database login's statement carries a SCRAM verifier, not the password (docs/adr/0019), but even that stays out of traces.
        [GeneratedRegex(@"(?i)\bpassword\s+'[^']*'")]
        private static partial Regex RolePassword();

        private static string Redact(string text) =>
            RolePassword().Replace(SecretParameter().Replace(text, m => m.Value[..m.Value.IndexOf('=')] + ":redacted"), "password 'redacted'");

        private static bool Secret(string text) => SecretParameter().IsMatch(text) || RolePassword().IsMatch(text);

        public override void OnEnd(Activity activity)
        {
            List<KeyValuePair<string, string?>>? changes = null;
            foreach (var tag in activity.TagObjects)
            {
                if (tag.Value is not string text)
                    continue;
                string? redacted = text;
                if (tag.Key == "url.query")
                    redacted = null;
                else if (UrlTags.Contains(tag.Key) && text.IndexOf('?') is var q and >= 0)
                    redacted = text[..q];
                else if (Secret(text))
                    redacted = Redact(text);
                if (!ReferenceEquals(redacted, text))
                    (changes ??= []).Add(new(tag.Key, redacted));
            }
            if (changes is not null)
                foreach (var (key, value) in changes)
                    activity.SetTag(key, value);
            if (Secret(activity.DisplayName))
                activity.DisplayName = Redact(activity.DisplayName);
            if (activity.StatusDescription is { } status && Secret(status))
                activity.SetStatus(activity.Status, Redact(status));
        }
    }
}
