using System.Text;
using System.Text.Json.Serialization;
using Inlet.Tabular.Database;
using Npgsql;
using NpgsqlTypes;

namespace Inlet.Tabular.LoadTable;

/// <summary>What to do with a row that cannot be loaded (ragged, broken quoting, a value that does not fit).</summary>
/// <remarks>Stored as the token's setting is written ("report", "refuse"), as it was before it was an enum.</remarks>
[JsonConverter(typeof(JsonStringEnumConverter<BadRowPolicy>))]
public enum BadRowPolicy
{
    /// <summary>Load every other row and list this one, with its line and the reason, among the table's rejects.</summary>
    [JsonStringEnumMemberName("report")] Report,

    /// <summary>Load nothing: the file is refused with the first bad row's line and reason.</summary>
    [JsonStringEnumMemberName("refuse")] Refuse,
}

public static class BadRowPolicies
{
    /// <summary>The policy a token's bad-rows setting names ("report", "refuse"; Tokens validates it), null for the default.</summary>
    public static BadRowPolicy? FromSetting(string? setting) =>
        Enum.TryParse<BadRowPolicy>(setting, ignoreCase: true, out var policy) && Enum.IsDefined(policy) ? policy : null;
}

/// <summary>
/// The rows a load did not take, spooled to a local file while COPY runs (a connection takes one COPY at
/// a time, and a file may have millions), then copied into <c>inlet_tabular.rejects</c> in the load's
/// own transaction: the table and its list of rejects change together, or not at all.
/// </summary>
public sealed class RejectedRows(FileStream spool) : IAsyncDisposable
{
    public const int MaxRawChars = 1024;

    private readonly BinaryWriter _writer = new(spool, Encoding.UTF8, leaveOpen: true);

    public long Count { get; private set; }

    public void Add(long line, string reason, ReadOnlySpan<char> raw)
    {
        _writer.Write(line);
        _writer.Write(reason);
        _writer.Write(Printable(raw.Length > MaxRawChars ? raw[..MaxRawChars] : raw));
        Count++;
    }

    // PostgreSQL text cannot hold NUL; the raw text is for a person to read, so it is shown, not dropped.
    private static string Printable(ReadOnlySpan<char> raw) => raw.ToString().Replace('\0', '\uFFFD');

    /// <summary>Replaces (or, appending, adds to) the table's rejects with this load's, inside the caller's transaction.</summary>
    public async Task Save(NpgsqlConnection connection, LoadRequest request, bool replace, CancellationToken ct)
    {
        if (replace)
        {
            await using var delete = new NpgsqlCommand($"delete from {WorkspaceDatabase.Bookkeeping}.rejects where wsid = $1 and table_name = $2", connection);
            delete.Parameters.Add(new() { Value = request.Wsid });
            delete.Parameters.Add(new() { Value = request.Table });
            await delete.ExecuteNonQueryAsync(ct);
        }
        if (Count == 0)
            return;
        _writer.Flush();
        spool.Position = 0;
        using var reader = new BinaryReader(spool, Encoding.UTF8, leaveOpen: true);
        await using var importer = await connection.BeginBinaryImportAsync(
            $"copy {WorkspaceDatabase.Bookkeeping}.rejects (wsid, table_name, load_key, source, line, reason, raw) from stdin (format binary)", ct);
        for (var i = 0; i < Count; i++)
        {
            await importer.StartRowAsync(ct);
            await importer.WriteAsync(request.Wsid, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(request.Table, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(request.LoadKey, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(request.Source, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(reader.ReadInt64(), NpgsqlDbType.Bigint, ct);
            await importer.WriteAsync(reader.ReadString(), NpgsqlDbType.Text, ct);
            await importer.WriteAsync(reader.ReadString(), NpgsqlDbType.Text, ct);
        }
        await importer.CompleteAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await spool.DisposeAsync();
    }
}
