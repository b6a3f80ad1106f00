using Inlet.Tokens.Contracts;
using Inlet.Tokens.ListUploadTokens;
using Marten;

namespace Inlet.Tokens.RecordUsage;

/// <summary>A batch of files delivered with the token has been ingested.</summary>
public sealed record UploadTokenUsed(Guid Tid, Guid BatchId, int Files, long Bytes, DateTimeOffset At);

public static class RecordUploadTokenUsageHandler
{
    public static async Task Handle(RecordUploadTokenUsage message, IDocumentSession session, CancellationToken ct)
    {
        // Many batches of one token arrive at once, on several nodes: take the stream's lock rather than
        // race on its version, so each batch is checked against those already counted and added once.
        var stream = await session.Events.FetchForExclusiveWriting<UploadTokenSummary>(message.Tid, ct);
        var token = stream.Aggregate;
        if (token is null || token.Wsid != message.Wsid || token.CountedBatches.Contains(message.BatchId))
            return; // unknown token, or a re-delivered batch already counted
        stream.AppendOne(new UploadTokenUsed(message.Tid, message.BatchId, message.Files, message.Bytes, message.At));
    }
}
