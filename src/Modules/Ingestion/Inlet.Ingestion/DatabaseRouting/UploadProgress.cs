using Inlet.Tabular.Contracts;
using Marten;

namespace Inlet.Ingestion.DatabaseRouting;

/// <summary>
/// How far the database's load of a pending upload has come: a read model beside the upload record, not an
/// event (a progress report every few seconds is not part of the audit trail). Removed when the load ends.
/// </summary>
public sealed class UploadProgress
{
    public Guid Id { get; set; }
    public string Phase { get; set; } = "";
    public long BytesDone { get; set; }
    public long BytesTotal { get; set; }
    public long RowsLoaded { get; set; }
    public DateTimeOffset At { get; set; }
}

public static class UploadProgressHandler
{
    public static void Handle(DatabaseFileLoadProgressed progressed, IDocumentSession session) =>
        session.Store(new UploadProgress
        {
            Id = progressed.UploadId,
            Phase = progressed.Phase,
            BytesDone = progressed.BytesDone,
            BytesTotal = progressed.BytesTotal,
            RowsLoaded = progressed.RowsLoaded,
            At = progressed.At,
        });
}
