using Inlet.Tokens.Contracts;
using Marten;

namespace Inlet.Tokens.RecordUsage;

/// <summary>A batch of files delivered with the token has been ingested.</summary>
public sealed record UploadTokenUsed(Guid Tid, Guid BatchId, int Files, long Bytes, DateTimeOffset At);

/// <summary>Marks one delivered file (its batch id) as counted, so that a re-delivered message is counted once.</summary>
public sealed class CountedUsage
{
    public Guid Id { get; set; }
    public Guid Tid { get; set; }
}

/// <summary>
/// Usage arrives as one message per routed file; Wolverine hands them over in batches (Program.cs), and
/// each token gets one <see cref="UploadTokenUsed"/> per batch: an upload of 10,000 files is a few audit
/// entries, not 10,000.
/// </summary>
public static class RecordUploadTokenUsageHandler
{
    // Not Wolverine's aggregate workflow: one batch holds the usage of many tokens, each its own stream. The shape
    // is the same A-frame: load every token (locked) and what was counted, decide purely, let Wolverine commit.
    public static async Task Handle(RecordUploadTokenUsage[] batch, IDocumentSession session, CancellationToken ct)
    {
        // Sorted, so that two nodes locking several token streams always lock them in the same order.
        foreach (var usage in batch.GroupBy(u => u.Tid).OrderBy(g => g.Key))
        {
            // Many batches of one token arrive at once, on several nodes: take the stream's lock rather than
            // race on its version, so each file is checked against those already counted and added once.
            var stream = await session.Events.FetchForExclusiveWriting<UploadToken>(usage.Key, ct);
            if (stream.Aggregate is not { } token)
                continue; // unknown token
            var counted = (await session.LoadManyAsync<CountedUsage>(ct, usage.Select(u => u.BatchId).Distinct())).Select(c => c.Id).ToHashSet();
            if (UploadTokenDecisions.RecordUsage(token, usage, counted, Guid.NewGuid()) is not { } used)
                continue; // re-delivered, already counted, or claiming another workspace
            foreach (var file in UploadTokenDecisions.FreshUsage(token, usage, counted))
                session.Store(new CountedUsage { Id = file.BatchId, Tid = usage.Key });
            stream.AppendOne(used);
        }
    }
}
