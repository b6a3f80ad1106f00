using System.Reflection;
using Marten;
using Wolverine;
using Wolverine.Http;
using Wolverine.Marten;

namespace Inlet.Tests.Architecture;

/// <summary>
/// Handlers and endpoints are A-frames (docs/adr/0024-a-frame-handlers.md): they load through Wolverine (the
/// aggregate workflow, <c>LoadAsync</c>/<c>Before</c>), decide, and return events and messages; Wolverine's
/// transaction and outbox do the I/O. A method that takes the store, the outbox or the bus does its own.
/// </summary>
public sealed class HandlerStyleTests
{
    private static readonly Type[] Forbidden = [typeof(IDocumentStore), typeof(IMartenOutbox), typeof(IMessageBus)];

    private static readonly string[] MethodNames = ["Handle", "HandleAsync", "Consume", "ConsumeAsync", "Before", "BeforeAsync", "Load", "LoadAsync", "Validate", "ValidateAsync", "After", "AfterAsync", "AfterCommit", "AfterCommitAsync"];

    // Not converted yet, each with why; a new entry needs a reason as good. Keyed "Type.Method".
    private static readonly Dictionary<string, string> AllowList = new()
    {
        ["IngestBlobHandler.Handle"] = "Ingestion: routing is a protocol of two commits around the copy (the UploadReceived + PathClaim decision before any byte moves, the outcome at stream version 2 after it), and a Wolverine handler has one transaction; committing its session early would also mark a durable IngestBlob handled (Wolverine's FlushOutgoingMessagesOnCommit), leaving a crash between the two to the poller's safety net, and two messages would take routing off the poller's inline InvokeAsync (bounded by Ingestion:Parallelism, one attempt per blob version in flight), so each listing of a large upload would queue every blob not yet routed again. Its decisions are pure (UploadDecisions, tests/Inlet.Ingestion.Tests); it keeps the store and the outbox for its two transactions.",
        ["RevokeUploadTokenEndpoint.Delete"] = "Tokens: the HTTP edge invokes the RevokeUploadToken A-frame inline, so that a 204 means the revocation is on record; a lock on the stream instead (ConcurrencyStyle.Exclusive) would create an empty stream for every unknown id.",
    };

    [Fact]
    public void No_handler_or_endpoint_takes_the_document_store_the_outbox_or_the_message_bus_outside_the_allow_list()
    {
        var offenders = Methods()
            .Where(m => m.GetParameters().Any(p => Forbidden.Contains(p.ParameterType)))
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .Distinct()
            .ToList();
        Assert.True(offenders.All(AllowList.ContainsKey),
            $"These take IDocumentStore, IMartenOutbox or IMessageBus; load through Wolverine and return events and messages instead: {string.Join(", ", offenders.Where(o => !AllowList.ContainsKey(o)))}");
        // An entry that no longer matches anything is stale: the handler was converted, so the list shrinks.
        Assert.All(AllowList.Keys, entry => Assert.Contains(entry, offenders));
    }

    [Fact]
    public void The_style_check_sees_the_handlers_and_endpoints_it_is_meant_to_check()
    {
        var seen = Methods().Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToHashSet();
        Assert.Contains("ExpireUploadTokenHandler.Handle", seen);
        Assert.Contains("IssueUploadTokenEndpoint.Post", seen);
        Assert.Contains("RevokeUploadTokenHandler.Handle", seen);
    }

    private static IEnumerable<MethodInfo> Methods() =>
        new[] { "Inlet.Tokens", "Inlet.Ingestion", "Inlet.Tabular", "Inlet.Notifications" }
            .Select(Assembly.Load)
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttributes<WolverineHttpMethodAttribute>().Any()
                || (MethodNames.Contains(m.Name) && (IsHandlerType(m.DeclaringType!) || IsEndpointType(m.DeclaringType!))));

    private static bool IsHandlerType(Type t) => t.Name.EndsWith("Handler", StringComparison.Ordinal) || t.Name.EndsWith("Consumer", StringComparison.Ordinal);

    private static bool IsEndpointType(Type t) =>
        t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance).Any(m => m.GetCustomAttributes<WolverineHttpMethodAttribute>().Any());
}
