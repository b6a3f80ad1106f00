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
        var token = await session.LoadAsync<UploadTokenSummary>(message.Tid, ct);
        if (token is null || token.Wsid != message.Wsid || token.CountedBatches.Contains(message.BatchId))
            return; // unknown token, or a re-delivered batch already counted
        session.Events.Append(message.Tid, new UploadTokenUsed(message.Tid, message.BatchId, message.Files, message.Bytes, message.At));
    }
}
