using Inlet.Ingestion.DatabaseRouting;
using Inlet.Tabular.Contracts;
using Inlet.Tokens.Contracts;
using Microsoft.Extensions.Hosting;
using Wolverine;
using Wolverine.Tracking;

namespace Inlet.Tests.Infrastructure;

/// <summary>
/// Waits on the messages a test's action sets off, as a Wolverine tracked session, instead of polling the API: the wait
/// ends the moment the Host has handled what the condition names, and a timeout fails with every message it saw.
/// Pollers and other tests' work may run beside the action; a condition counts only what belongs to its own workspace
/// or token, so that traffic neither ends nor prolongs the wait.
/// </summary>
public static class Tracked
{
    public static async Task Until(this IHost host, ITrackedCondition condition, Func<Task> action, int seconds = 60)
    {
        // Retries after lost races (several uploads of one workspace at once) are expected and recovered; a test asserts
        // on the outcome through the API afterwards, so an exception on the way is not in itself a failure here.
        await host.TrackActivity().Timeout(TimeSpan.FromSeconds(seconds)).DoNotAssertOnExceptionsDetected()
            .WaitForCondition(condition).ExecuteAndWaitAsync((IMessageContext _) => action());
    }
}

/// <summary>
/// <paramref name="count"/> uploads of workspace <paramref name="wsid"/> were decided by the database: each one loaded
/// (its <see cref="DatabaseFileLoaded"/> recorded) or refused and kept in the Inbox (its refusal recorded and the
/// <c>KeepRefusedUpload</c> that follows handled). Their records, an inline projection, show the outcome from then on.
/// </summary>
public sealed class DatabaseUploadsDecided(string wsid, int count) : ITrackedCondition
{
    private readonly HashSet<Guid> _loaded = [];
    private readonly HashSet<Guid> _refused = [];
    private readonly HashSet<Guid> _kept = [];

    public void Record(EnvelopeRecord record)
    {
        if (record.MessageEventType != MessageEventType.MessageSucceeded)
            return;
        lock (_loaded)
        {
            switch (record.Envelope?.Message)
            {
                case DatabaseFileLoaded loaded when loaded.Wsid == wsid:
                    _loaded.Add(loaded.UploadId);
                    break;
                case DatabaseFileRefused refused when refused.Wsid == wsid:
                    _refused.Add(refused.UploadId);
                    break;
                // The kept copy names no workspace; only this workspace's refusals count (in either order of the two).
                case KeepRefusedUpload kept:
                    _kept.Add(kept.UploadId);
                    break;
            }
        }
    }

    public bool IsCompleted()
    {
        lock (_loaded)
            return _loaded.Count + _refused.Count(_kept.Contains) >= count;
    }

    public override string ToString() => $"{count} uploads of {wsid} loaded or refused by the database";
}

/// <summary>
/// Token <paramref name="tid"/>'s usage counts <paramref name="files"/> routed files: the Tokens module handled the
/// batches of <see cref="RecordUploadTokenUsage"/> that Ingestion sends for each file it routed.
/// </summary>
public sealed class UsageRecorded(Guid tid, int files) : ITrackedCondition
{
    private readonly Dictionary<Guid, int> _counted = [];

    public void Record(EnvelopeRecord record)
    {
        if (record.MessageEventType != MessageEventType.MessageSucceeded)
            return;
        // Usage is handled in batches (BatchMessagesOf): the batch's envelope carries the array. Each usage is counted
        // once by its id, whichever envelope reports it.
        var usages = record.Envelope?.Message switch
        {
            RecordUploadTokenUsage[] batch => batch,
            RecordUploadTokenUsage one => [one],
            _ => [],
        };
        lock (_counted)
            foreach (var usage in usages.Where(u => u.Tid == tid))
                _counted[usage.BatchId] = usage.Files;
    }

    public bool IsCompleted()
    {
        lock (_counted)
            return _counted.Values.Sum() >= files;
    }

    public override string ToString() => $"{files} files of token {tid} counted";
}
