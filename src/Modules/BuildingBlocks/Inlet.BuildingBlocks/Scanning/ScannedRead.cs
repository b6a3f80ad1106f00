using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;

namespace Inlet.BuildingBlocks.Scanning;

/// <summary>The malware scan matched a signature in bytes a reader had already been given: nothing made of them may be kept.</summary>
public sealed class MalwareFoundException(string signature)
    : Exception($"The malware scan matched {signature}; nothing read from the file may be kept.")
{
    public string Signature { get; } = signature;
}

/// <summary>
/// A read of a file that clamd scans on the way (docs/adr/0037-scan-beside-the-load.md): every byte the reader is given is
/// also written into a <see cref="Pipe"/> that <see cref="ClamdClient.Scan"/> streams to clamd on a task of its own, so one
/// storage read feeds both the reader (a table load's COPY) and the scanner. Memory is bounded: when clamd takes the bytes
/// more slowly than the reader, the pipe holds at most <c>bufferBytes</c> and the reader waits (backpressure); the
/// scanner never waits for the reader beyond the bytes it was given.
/// <para>
/// The verdict is for the whole file only once the reader has read to the end: <see cref="RequireClean"/> then waits for
/// clamd's answer (clamd scans a stream once it has all of it) and throws unless it is clean. A caller commits what it
/// made of the bytes only after that returns. A scanner that fails mid-read ends the read at once with its
/// <see cref="ScannerUnavailableException"/>; malware found before the end (a stream clamd refuses as too long) with
/// <see cref="MalwareFoundException"/>.
/// </para>
/// </summary>
public sealed class ScannedRead : Stream
{
    /// <summary>What the pipe holds at most before the reader waits for clamd.</summary>
    public const int DefaultBufferBytes = 4 << 20;

    private readonly Stream _source;
    private readonly ClamdClient _clamd;
    private readonly Pipe _pipe;
    private readonly CancellationTokenSource _stop;
    private readonly Task<ScanVerdict> _scan;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _bytes;
    private volatile bool _scanGone;
    private volatile bool _ended;
    private bool _disposed;
    private TimeSpan? _scanEnded;
    private TimeSpan _waited;

    public ScannedRead(Stream source, ClamdClient clamd, CancellationToken ct, int bufferBytes = DefaultBufferBytes)
    {
        _source = source;
        _clamd = clamd;
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: bufferBytes, resumeWriterThreshold: bufferBytes / 2,
            minimumSegmentSize: 64 * 1024, useSynchronizationContext: false));
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _scan = Task.Run(Scan, CancellationToken.None);
    }

    /// <summary>Bytes the reader was given (and clamd sent or queued).</summary>
    public long BytesRead => Interlocked.Read(ref _bytes);

    /// <summary>The reader has read the source to its end: clamd has, or will have, every byte.</summary>
    public bool Ended => _ended;

    /// <summary>A clean verdict for the whole file was seen by <see cref="RequireClean"/>.</summary>
    public bool Verified { get; private set; }

    /// <summary>From the first byte to clamd's verdict; null before the verdict.</summary>
    public TimeSpan? ScanTime => _scanEnded;

    /// <summary>How long <see cref="RequireClean"/> and <see cref="Verdict"/> waited for clamd after the reader was done.</summary>
    public TimeSpan Waited => _waited;

    private async Task<ScanVerdict> Scan()
    {
        try
        {
            await using var bytes = _pipe.Reader.AsStream(); // disposing it completes the reader: the writer stops waiting
            return await _clamd.Scan(bytes, null, _stop.Token);
        }
        finally
        {
            _scanEnded = _clock.Elapsed;
        }
    }

    /// <summary>
    /// clamd's verdict on the whole file, once the reader has read it to its end (waits for clamd's answer). Throws
    /// <see cref="ScannerUnavailableException"/> when clamd gave none, and <see cref="InvalidOperationException"/> when the
    /// file was not read to its end: a verdict on part of a file is no verdict.
    /// </summary>
    public async Task<ScanVerdict> Verdict(CancellationToken ct)
    {
        if (!_ended && !_scanGone)
            throw new InvalidOperationException("The file was not read to its end, so the malware scan has no verdict on all of it.");
        var waiting = _clock.Elapsed;
        try
        {
            return await _scan.WaitAsync(ct);
        }
        finally
        {
            _waited += _clock.Elapsed - waiting;
        }
    }

    /// <summary>Returns once clamd found the whole file clean; throws <see cref="MalwareFoundException"/> when it did not.</summary>
    public async Task RequireClean(CancellationToken ct)
    {
        var verdict = await Verdict(ct);
        if (!verdict.Clean)
            throw new MalwareFoundException(verdict.Signature!);
        if (!_ended)
            throw new InvalidOperationException("The file was not read to its end, so the malware scan has no verdict on all of it.");
        Verified = true;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _source.Read(buffer);
        if (Pass(buffer[..read], asked: !buffer.IsEmpty) is { IsCompleted: false } flushing)
            Flushed(flushing.AsTask().GetAwaiter().GetResult()); // a thread that reads synchronously waits here (ReadAhead's own)
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _source.ReadAsync(buffer, cancellationToken);
        if (Pass(buffer.Span[..read], asked: !buffer.IsEmpty) is { IsCompleted: false } flushing)
            Flushed(await flushing);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Hands the bytes read to clamd's side of the pipe; a flush still waiting for room is returned, to be waited for.</summary>
    private ValueTask<FlushResult>? Pass(ReadOnlySpan<byte> bytes, bool asked)
    {
        if (bytes.IsEmpty)
        {
            if (asked && !_ended)
            {
                _ended = true;
                _pipe.Writer.Complete(); // clamd gets the end of the stream and scans
            }
            return null;
        }
        Interlocked.Add(ref _bytes, bytes.Length);
        if (_scanGone)
        {
            ScanEndedEarly();
            return null;
        }
        _pipe.Writer.Write(bytes);
        var flush = _pipe.Writer.FlushAsync(_stop.Token);
        if (flush.IsCompletedSuccessfully)
        {
            Flushed(flush.Result);
            return null;
        }
        return flush;
    }

    private void Flushed(FlushResult result)
    {
        if (result.IsCompleted)
        {
            _scanGone = true; // the scan stopped reading before the end: say why now, not at the end of the file
            ScanEndedEarly();
        }
    }

    /// <summary>The scan ended before the file did: clamd failed (the read stops with that), or refused the stream (malware found).</summary>
    private void ScanEndedEarly()
    {
        if (!_scan.IsCompleted)
            _scan.Wait(TimeSpan.FromSeconds(30)); // the reader side just completed; the task is ending
        if (_scan.IsFaulted)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_scan.Exception!.InnerException!);
        if (_scan.IsCompletedSuccessfully && !_scan.Result.Clean)
            throw new MalwareFoundException(_scan.Result.Signature!);
        throw new ScannerUnavailableException("clamd stopped reading the file before its end without a verdict.");
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _source.Length;
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>
    /// Closes the source. A read that ended keeps its scan running, for <see cref="Verdict"/> (a loader may close the storage
    /// read before it commits); a read that stopped early cancels the scan: there will be no verdict on part of a file.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (!_ended && !_scanGone)
            {
                _pipe.Writer.Complete(new OperationCanceledException("The read stopped before the end of the file."));
                _stop.Cancel();
            }
            _ = _scan.ContinueWith(t => { _ = t.Exception; _stop.Dispose(); }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _source.Dispose();
        }
        base.Dispose(disposing);
    }
}
