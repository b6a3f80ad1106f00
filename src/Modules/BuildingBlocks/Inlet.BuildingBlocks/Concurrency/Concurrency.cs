using JasperFx;
using JasperFx.Events;
using Marten.Exceptions;
using Npgsql;

namespace Inlet.BuildingBlocks.Concurrency;

/// <summary>
/// The one answer to "did this fail because another node (or request) changed the same thing first?".
/// Every such failure is safe to retry: the retry reloads, sees the winner's change and decides again.
/// Used by Wolverine's retry policy, the HTTP error mapping (409) and every caller that treats a lost race as done.
/// </summary>
public static class Concurrency
{
    /// <summary>True when <paramref name="error"/> or one of its inner exceptions is a lost race.</summary>
    public static bool IsConflict(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (IsConflictItself(e))
                return true;
        return false;
    }

    private static bool IsConflictItself(Exception e) => e is
        // an append at a stale expected version (FetchForWriting), Marten's and JasperFx's spelling
        ConcurrencyException
        or EventStreamUnexpectedMaxEventIdException
        // two starts of the same stream
        or Marten.Exceptions.ExistingStreamIdCollisionException
        or JasperFx.Events.ExistingStreamIdCollisionException
        // an insert of a document (a claim, a counted usage) another transaction inserted first
        or DocumentAlreadyExistsException
        or PostgresException { SqlState: PostgresErrorCodes.UniqueViolation }
        // an append to a stream another node archived meanwhile
        or InvalidStreamOperationException;
}
