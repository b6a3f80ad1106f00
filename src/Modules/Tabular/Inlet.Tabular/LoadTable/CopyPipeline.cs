using System.Collections.Concurrent;
using System.Threading.Channels;
using Inlet.Tabular.Loading;
using Npgsql;

namespace Inlet.Tabular.LoadTable;

/// <summary>
/// Parsing and converting rows on one thread, writing them to PostgreSQL's binary COPY on another: the
/// reader fills a batch of typed rows while the writer sends the previous one, and batches are reused, so
/// memory stays a few batches whatever the file's size. A failure on either side stops both.
/// </summary>
public sealed class CopyPipeline : IDisposable
{
    private const int BatchRows = 2048;
    private const int BatchesInFlight = 4;

    private readonly IReadOnlyList<ColumnType> _types;
    private readonly Channel<(RowValues[] Rows, int Count)> _full = Channel.CreateBounded<(RowValues[], int)>(
        new BoundedChannelOptions(BatchesInFlight) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly ConcurrentBag<RowValues[]> _free = [];
    private readonly CancellationTokenSource _stop;
    private readonly Task _writer;
    private RowValues[] _batch;
    private int _count;

    public CopyPipeline(NpgsqlBinaryImporter importer, IReadOnlyList<ColumnType> types, CancellationToken ct)
    {
        _types = types;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _batch = NewBatch();
        _writer = Task.Factory.StartNew(() => Write(importer), _stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The row to fill next.</summary>
    public RowValues Next() => _batch[_count];

    /// <summary>The row just filled is complete; returns the row to fill next.</summary>
    public RowValues Commit()
    {
        if (++_count == _batch.Length)
        {
            Send();
            _batch = _free.TryTake(out var reused) ? reused : NewBatch();
        }
        return _batch[_count];
    }

    /// <summary>Sends what is left and waits until the writer wrote everything (or rethrows what stopped it).</summary>
    public void Complete()
    {
        if (_count > 0)
            Send();
        _full.Writer.TryComplete();
        _writer.GetAwaiter().GetResult();
    }

    private void Send()
    {
        var item = (_batch, _count);
        _count = 0;
        if (_full.Writer.TryWrite(item))
            return;
        try
        {
            _full.Writer.WriteAsync(item, _stop.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (_writer.IsFaulted)
        {
            _writer.GetAwaiter().GetResult(); // the writer's own failure (a constraint, a lost connection) is the one to report
        }
    }

    private void Write(NpgsqlBinaryImporter importer)
    {
        try
        {
            while (_full.Reader.WaitToReadAsync(_stop.Token).AsTask().GetAwaiter().GetResult())
                while (_full.Reader.TryRead(out var item))
                {
                    for (var i = 0; i < item.Count; i++)
                        item.Rows[i].WriteTo(importer);
                    _free.Add(item.Rows);
                }
        }
        catch
        {
            _stop.Cancel();
            throw;
        }
    }

    private RowValues[] NewBatch() => Enumerable.Range(0, BatchRows).Select(_ => new RowValues(_types)).ToArray();

    public void Dispose()
    {
        _stop.Cancel();
        try
        {
            _writer.Wait();
        }
        catch (AggregateException)
        {
            // Already reported by Complete, or the load is failing for another reason being reported.
        }
        _stop.Dispose();
    }
}
