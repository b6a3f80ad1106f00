using System.Text;
using Inlet.BuildingBlocks.Scanning;
using Microsoft.Extensions.Options;

namespace Inlet.Tests.Scanning;

/// <summary>The tee between a load's read and clamd (docs/adr/0037), against the real clamd test.sh started.</summary>
public sealed class ScannedReadTests
{
    private static ClamdClient Clamd() => new(Options.Create(new ScanningOptions
    {
        Endpoint = Environment.GetEnvironmentVariable("Scanning__Endpoint") ?? throw new InvalidOperationException("run with ./test.sh"),
    }));

    /// <summary>A stream of <paramref name="length"/> pseudo-random bytes, produced as it is read (never held whole).</summary>
    private sealed class Generated(long length) : Stream
    {
        private long _position;
        private readonly Random _random = new(7);
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, length - _position);
            _random.NextBytes(buffer.AsSpan(offset, n));
            _position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task The_reader_gets_every_byte_unchanged_and_the_verdict_is_for_the_whole_file()
    {
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 50_000).Select(i => $"{i},row {i}\n")));
        await using var scanned = new ScannedRead(new MemoryStream(text), Clamd(), CancellationToken.None);
        var copy = new MemoryStream();
        // Synchronous reads, as the load's read-ahead thread makes them, then an async one at the end.
        var buffer = new byte[100_000];
        int read;
        while ((read = scanned.Read(buffer)) > 0)
            copy.Write(buffer, 0, read);
        Assert.Equal(0, await scanned.ReadAsync(buffer));
        Assert.Equal(text, copy.ToArray());
        await scanned.RequireClean(CancellationToken.None);
        Assert.True(scanned.Verified);
        Assert.NotNull(scanned.ScanTime);
    }

    [Fact]
    public async Task Malware_fails_RequireClean_and_a_read_that_stopped_early_has_no_verdict()
    {
        var eicar = Encoding.ASCII.GetBytes(MalwareScanningTests.Eicar);
        await using (var scanned = new ScannedRead(new MemoryStream(eicar), Clamd(), CancellationToken.None))
        {
            await scanned.CopyToAsync(Stream.Null);
            var found = await Assert.ThrowsAsync<MalwareFoundException>(() => scanned.RequireClean(CancellationToken.None));
            Assert.Contains("Eicar", found.Signature, StringComparison.OrdinalIgnoreCase);
        }
        await using (var partly = new ScannedRead(new Generated(10_000_000), Clamd(), CancellationToken.None))
        {
            var first = new byte[1_000_000];
            await partly.ReadAtLeastAsync(first, first.Length);
            await Assert.ThrowsAsync<InvalidOperationException>(() => partly.RequireClean(CancellationToken.None));
        }
    }

    /// <summary>300 MB through the tee: what the process holds grows by far less than the file (the pipe holds at most 4 MiB).</summary>
    [Fact]
    public async Task Memory_stays_bounded_whatever_the_file_size()
    {
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        await using var scanned = new ScannedRead(new Generated(300L << 20), Clamd(), CancellationToken.None);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = scanned.Read(buffer)) > 0)
        {
            total += read;
            if ((total & ((32 << 20) - 1)) == 0)
                peak = Math.Max(peak, GC.GetTotalMemory(false) - before);
        }
        await scanned.RequireClean(CancellationToken.None);
        Assert.Equal(300L << 20, total);
        Assert.True(peak < 64L << 20, $"managed memory grew by {peak / 1e6:0.0} MB while 300 MB passed");
    }
}
