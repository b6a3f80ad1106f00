using Inlet.Tokens.Contracts;
using Inlet.Tokens.ListUploadTokens;
using Marten;

namespace Inlet.Tokens.RecordUsage;

/// <summary>A batch of files delivered with the token has been ingested.</summary>
public sealed record UploadTokenUsed(Guid Tid, Guid BatchId, int Files, long Bytes, DateTimeOffset At);

/// <summary>
/// A usage batch already counted, kept as a document of its own: a list inside the token's summary grew
/// with every file, so each batch rewrote the whole list and the token listing read all of them
/// (docs/performance.md).
/// </summary>
public sealed class CountedUsageBatch
{
    /// <summary>The batch id (Ingestion sends the upload id, unique per file).</summary>
    public Guid Id { get; set; }

    public Guid Tid { get; set; }
}

public static class RecordUploadTokenUsageHandler
{
    public static async Task Handle(RecordUploadTokenUsage message, IDocumentSession session, CancellationToken ct)
    {
        // Many batches of one token arrive at once, on several nodes: take the stream's lock rather than
        // race on its version, so each batch is checked against those already counted and added once.
        var stream = await session.Events.FetchForExclusiveWriting<UploadTokenSummary>(message.Tid, ct);
        var token = stream.Aggregate;
        if (token is null || token.Wsid != message.Wsid)
            return; // unknown token
        if (await session.LoadAsync<CountedUsageBatch>(message.BatchId, ct) is not null)
            return; // a re-delivered batch, already counted (the stream's lock keeps this check and the insert together)
        session.Insert(new CountedUsageBatch { Id = message.BatchId, Tid = message.Tid });
        stream.AppendOne(new UploadTokenUsed(message.Tid, message.BatchId, message.Files, message.Bytes, message.At));
    }
}
