using Inlet.Tabular.Loading;

namespace Inlet.Tabular.LoadTable;

/// <summary>
/// Parsing and converting rows on one thread, encoding and writing them to PostgreSQL's binary COPY on another: the
/// reader fills a batch of typed rows while the writer sends the previous one, and batches are reused, so
/// memory stays a few batches whatever the file's size. A failure on either side stops both.
/// The hand-off blocks without spinning (a monitor, not a channel's synchronous wait): on two cores, a side that
/// waits must leave the core to the other side and to PostgreSQL (the profile showed the idle writer spinning).
/// </summary>
public sealed class CopyPipeline : IDisposable
{
    private const int BatchRows = 2048;
    private const int BatchesInFlight = 4;

    private readonly IReadOnlyList<ColumnType> _types;
    private readonly object _gate = new();
    private readonly Queue<(RowValues[] Rows, int Count)> _full = new();
    private readonly Stack<RowValues[]> _free = new();
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenRegistration _onStop;
    private readonly Thread _writer;
    private readonly BinaryCopyWriter _output;
    private readonly Action<RowValues>? _observe;
    private Exception? _writerFailure;
    private bool _noMore;
    private bool _stopped;
    private RowValues[] _batch;
    private int _count;

    /// <param name="observe">Called on the writer's thread for every committed row, in file order, before it is written: the
    /// inference that checks a guessed load's types runs there, beside the parsing instead of on its thread.</param>
    public CopyPipeline(BinaryCopyWriter writer, IReadOnlyList<ColumnType> types, CancellationToken ct, Action<RowValues>? observe = null)
    {
        _types = types;
        _output = writer;
        _observe = observe;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _onStop = _stop.Token.Register(() =>
        {
            lock (_gate)
            {
                _stopped = true;
                Monitor.PulseAll(_gate);
            }
        });
        _batch = NewBatch();
        _writer = new Thread(Write) { IsBackground = true, Name = "inlet-copy-writer" };
        _writer.Start();
    }

    /// <summary>The row to fill next.</summary>
    public RowValues Next() => _batch[_count];

    /// <summary>The row just filled is complete; returns the row to fill next.</summary>
    /// <param name="write">False for a row only to be observed, not written.</param>
    public RowValues Commit(bool write = true)
    {
        _batch[_count].Write = write;
        if (++_count == _batch.Length)
        {
            Send();
            lock (_gate)
                _batch = _free.TryPop(out var reused) ? reused : NewBatch();
        }
        return _batch[_count];
    }

    /// <summary>Sends what is left and waits until the writer wrote everything, the trailer too (or rethrows what stopped it).</summary>
    public void Complete()
    {
        Drain();
        _output.Complete();
    }

    /// <summary>Sends what is left and waits until the writer observed and wrote it, without ending the COPY.</summary>
    public void Drain()
    {
        if (_count > 0)
            Send();
        lock (_gate)
        {
            _noMore = true;
            Monitor.PulseAll(_gate);
        }
        _writer.Join();
        ThrowIfWriterFailed();
        _stop.Token.ThrowIfCancellationRequested();
    }

    private void Send()
    {
        var item = (_batch, _count);
        _count = 0;
        lock (_gate)
        {
            while (_full.Count >= BatchesInFlight && !_stopped)
                Monitor.Wait(_gate);
            if (_stopped)
            {
                ThrowIfWriterFailed(); // the writer's own failure (a constraint, a lost connection) is the one to report
                throw new OperationCanceledException(_stop.Token);
            }
            _full.Enqueue(item);
            Monitor.PulseAll(_gate);
        }
    }

    private void ThrowIfWriterFailed()
    {
        if (_writerFailure is { } failure)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
    }

    private void Write()
    {
        try
        {
            while (true)
            {
                (RowValues[] Rows, int Count) item;
                lock (_gate)
                {
                    while (_full.Count == 0 && !_noMore && !_stopped)
                        Monitor.Wait(_gate);
                    if (_stopped || _full.Count == 0)
                        return;
                    item = _full.Dequeue();
                    Monitor.PulseAll(_gate);
                }
                for (var i = 0; i < item.Count; i++)
                {
                    var row = item.Rows[i];
                    _observe?.Invoke(row);
                    if (row.Write)
                        row.WriteTo(_output);
                }
                lock (_gate)
                    _free.Push(item.Rows);
            }
        }
        catch (Exception e)
        {
            _writerFailure = e;
            _stop.Cancel();
        }
    }

    private RowValues[] NewBatch() => Enumerable.Range(0, BatchRows).Select(_ => new RowValues(_types, keepRaw: _observe is not null)).ToArray();

    public void Dispose()
    {
        _stop.Cancel();
        _writer.Join();
        _onStop.Dispose();
        _stop.Dispose();
    }
}
