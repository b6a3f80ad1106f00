using System.Security.Cryptography;

namespace Inlet.Tabular.Loading;

/// <summary>
/// Reads a file from storage once and does everything that needs its bytes on the way: the MD5 the
/// uploader stored is computed, the encoding checked, the bytes optionally spooled to a local file
/// (for a second pass that must not read storage again), and the progress counted.
/// </summary>
public sealed class ReadThroughStream(Stream source, Stream? spool = null, EncodingCheck? encoding = null) : Stream
{
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);

    /// <summary>Bytes read so far.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    private long _bytesRead;

    /// <summary>Whether the source has been read to its end (only then is <see cref="Md5"/> the file's).</summary>
    public bool Ended { get; private set; }

    /// <summary>The MD5 of everything read, base64, as storage's Content-MD5 shows it.</summary>
    public string Md5() => Convert.ToBase64String(_md5.GetCurrentHash());

    private ReadAhead? _ahead;

    /// <summary>
    /// From now on the source is read (and hashed, checked and spooled) on a thread of its own, ahead of the reads here
    /// (<see cref="ReadAhead"/>); reads are then synchronous. <see cref="Ended"/> and <see cref="Md5"/> are the whole
    /// file's once a read here returned 0.
    /// </summary>
    public void StartReadingAhead() => _ahead ??= new ReadAhead(ReadSource);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => _ahead is { } ahead ? ahead.Read(buffer) : ReadSource(buffer);

    private int ReadSource(Span<byte> buffer)
    {
        var read = source.Read(buffer);
        Observe(buffer[..read], !buffer.IsEmpty);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ahead is { } ahead)
            return ahead.Read(buffer.Span);
        var read = await source.ReadAsync(buffer, cancellationToken);
        Observe(buffer.Span[..read], !buffer.IsEmpty);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Reads what is left, so that the MD5 covers the whole file even when parsing stopped early.</summary>
    public void ReadToEnd()
    {
        var buffer = new byte[1 << 16];
        while (Read(buffer) > 0)
        {
        }
    }

    private void Observe(ReadOnlySpan<byte> bytes, bool askedForBytes = true)
    {
        if (bytes.IsEmpty && askedForBytes)
        {
            if (!Ended)
                encoding?.Complete();
            Ended = true;
            return;
        }
        _md5.AppendData(bytes);
        encoding?.Observe(bytes);
        spool?.Write(bytes);
        Interlocked.Add(ref _bytesRead, bytes.Length);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ahead?.Dispose(); // first: its thread may be reading the source
            _md5.Dispose();
            source.Dispose();
        }
        base.Dispose(disposing);
    }
}
