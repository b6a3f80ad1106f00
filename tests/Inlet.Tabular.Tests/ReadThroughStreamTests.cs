using System.Security.Cryptography;
using Inlet.Tabular.Loading;
using Xunit;

namespace Inlet.Tabular.Tests;

/// <summary>The load's one read of storage: bytes in order, the whole file's MD5, the spool and the end, read ahead or not.</summary>
public sealed class ReadThroughStreamTests
{
    /// <summary>A source that returns its bytes in reads of random sizes (as a socket does), and can fail after some of them.</summary>
    private sealed class ChoppySource(byte[] data, int seed, int failAfter = -1) : Stream
    {
        private readonly Random _random = new(seed);
        private int _position;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (failAfter >= 0 && _position >= failAfter)
                throw new IOException("the connection was reset");
            var count = Math.Min(Math.Min(buffer.Length, _random.Next(1, 300_000)), data.Length - _position);
            if (failAfter >= 0)
                count = Math.Min(count, failAfter - _position);
            data.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(1 << 20, true)] // exactly one chunk
    [InlineData(5_123_457, true)] // more chunks than are kept in memory
    [InlineData(5_123_457, false)]
    public async Task Every_byte_arrives_once_in_order_with_the_whole_files_md5_and_spool(int length, bool readAhead)
    {
        var data = Data(length, length);
        using var spool = new MemoryStream();
        using var through = new ReadThroughStream(new ChoppySource(data, seed: 7), spool);
        var sample = new byte[Math.Min(1000, length)];
        Assert.Equal(sample.Length, await through.ReadAsync(sample));
        if (readAhead)
            through.StartReadingAhead();
        using var read = new MemoryStream();
        read.Write(sample);
        var random = new Random(3);
        var buffer = new byte[70_000];
        int n;
        while ((n = through.Read(buffer, 0, random.Next(1, buffer.Length))) > 0)
            read.Write(buffer, 0, n);

        Assert.True(through.Ended);
        Assert.Equal(data, read.ToArray());
        Assert.Equal(data, spool.ToArray());
        Assert.Equal(Convert.ToBase64String(MD5.HashData(data)), through.Md5());
        Assert.Equal(length, through.BytesRead);
    }

    [Fact]
    public void A_failed_read_surfaces_after_the_bytes_read_before_it()
    {
        var data = Data(3_000_000, 1);
        using var through = new ReadThroughStream(new ChoppySource(data, seed: 9, failAfter: 2_500_000));
        through.StartReadingAhead();
        using var read = new MemoryStream();
        var buffer = new byte[65_536];
        var failure = Assert.Throws<IOException>(() =>
        {
            int n;
            while ((n = through.Read(buffer)) > 0)
                read.Write(buffer, 0, n);
        });
        Assert.Equal("the connection was reset", failure.Message);
        Assert.Equal(data.AsSpan(0, 2_500_000).ToArray(), read.ToArray());
        Assert.False(through.Ended);
    }

    [Fact]
    public void Disposing_while_reading_ahead_stops_the_reader()
    {
        var data = Data(20_000_000, 2);
        var through = new ReadThroughStream(new ChoppySource(data, seed: 5));
        through.StartReadingAhead();
        Assert.True(through.Read(new byte[10]) > 0);
        through.Dispose(); // returns once the read-ahead thread stopped; reading on would be reading a disposed source
        Assert.True(through.BytesRead < data.Length, "the reader read on after it was stopped");
    }
}
