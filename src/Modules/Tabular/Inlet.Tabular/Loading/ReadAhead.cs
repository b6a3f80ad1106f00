using System.Runtime.ExceptionServices;

namespace Inlet.Tabular.Loading;

/// <summary>
/// Reads ahead of its consumer on a thread of its own, into a few large chunks: what reading costs besides parsing (the
/// socket, the MD5, the encoding check, the spool) runs beside the parser instead of on its thread, which the profile of a
/// load showed at 100 % with a fifth of it in reading (docs/performance.md). Memory is bounded by <see cref="Chunks"/> ×
/// <see cref="ChunkBytes"/>. A read that fails surfaces to the consumer after the chunks read before it.
/// </summary>
internal sealed class ReadAhead : IDisposable
{
    private const int ChunkBytes = 1 << 20;
    private const int Chunks = 4;

    private readonly Func<Span<byte>, int> _read;
    private readonly object _gate = new();
    private readonly Queue<(byte[] Buffer, int Length)> _full = new();
    private readonly Stack<byte[]> _free = new();
    private readonly Thread _thread;
    private Exception? _failure;
    private bool _ended;
    private bool _stopping;
    private byte[]? _current;
    private int _offset;
    private int _length;

    /// <param name="read">Reads into the buffer, 0 at the end; called on the read-ahead thread only.</param>
    public ReadAhead(Func<Span<byte>, int> read)
    {
        _read = read;
        for (var i = 0; i < Chunks; i++)
            _free.Push(new byte[ChunkBytes]);
        _thread = new Thread(Fill) { IsBackground = true, Name = "inlet-read-ahead" };
        _thread.Start();
    }

    /// <summary>The consumer's read: the next bytes in order; 0 at the end; the reader's failure once its earlier chunks are consumed.</summary>
    public int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
            return 0;
        if (_current is null || _offset == _length)
        {
            lock (_gate)
            {
                if (_current is not null)
                {
                    _free.Push(_current);
                    _current = null;
                    Monitor.PulseAll(_gate);
                }
                while (_full.Count == 0 && !_ended && _failure is null)
                    Monitor.Wait(_gate);
                if (_full.Count == 0)
                {
                    if (_failure is not null)
                        ExceptionDispatchInfo.Throw(_failure);
                    return 0;
                }
                (_current, _length) = _full.Dequeue();
                _offset = 0;
            }
        }
        var count = Math.Min(buffer.Length, _length - _offset);
        _current.AsSpan(_offset, count).CopyTo(buffer);
        _offset += count;
        return count;
    }

    private void Fill()
    {
        while (true)
        {
            byte[] chunk;
            lock (_gate)
            {
                while (_free.Count == 0 && !_stopping)
                    Monitor.Wait(_gate);
                if (_stopping)
                    return;
                chunk = _free.Pop();
            }
            // Whole chunks: fewer hand-offs between the threads than one per socket read.
            var filled = 0;
            var end = false;
            Exception? failure = null;
            try
            {
                while (filled < chunk.Length && !end)
                {
                    var read = _read(chunk.AsSpan(filled));
                    end = read == 0;
                    filled += read;
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            lock (_gate)
            {
                if (filled > 0)
                    _full.Enqueue((chunk, filled));
                else
                    _free.Push(chunk);
                _ended = end;
                _failure = failure;
                Monitor.PulseAll(_gate);
            }
            if (end || failure is not null)
                return;
        }
    }

    /// <summary>Stops reading ahead and waits for the thread's current read to return, so the source can be disposed after it.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        _thread.Join();
    }
}
