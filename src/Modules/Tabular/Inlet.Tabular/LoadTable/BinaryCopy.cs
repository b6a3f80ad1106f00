using Inlet.Tabular.Loading;
using Npgsql;

namespace Inlet.Tabular.LoadTable;

/// <summary>
/// One binary COPY through Npgsql's raw stream, written by a <see cref="BinaryCopyWriter"/>. Closing Npgsql's raw
/// stream ends the COPY as if the data were complete, so this owner cancels it unless <see cref="CompleteAsync"/>
/// was reached: a failed or abandoned load never commits a partial table.
/// </summary>
public sealed class BinaryCopy : IAsyncDisposable
{
    private readonly NpgsqlRawCopyStream _stream;
    private bool _completed;

    public BinaryCopy(NpgsqlRawCopyStream stream, int bufferBytes = 1 << 18)
    {
        _stream = stream;
        Writer = new BinaryCopyWriter(stream, bufferBytes);
        Writer.WriteHeader();
    }

    public BinaryCopyWriter Writer { get; }

    /// <summary>Ends the COPY once the writer wrote its trailer; PostgreSQL's verdict on the data comes here.</summary>
    public async Task CompleteAsync()
    {
        _completed = true;
        await _stream.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_completed)
            return;
        _completed = true;
        try
        {
            await _stream.CancelAsync();
        }
        catch (PostgresException)
        {
            // The server confirms the cancellation with an error ("COPY from stdin failed"); that is the expected answer.
        }
        catch (NpgsqlException)
        {
            // The connection is already broken: the load is failing for a reason being reported.
        }
    }
}
