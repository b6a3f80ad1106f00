using Inlet.Tabular.Loading;

namespace Inlet.Tests.Tabular;

/// <summary>Alone, because the heap it measures is shared with every test running beside it.</summary>
[Collection(nameof(RunsAlone))]
public sealed class CsvStreamingTests
{
    private const long FileSize = 200L * 1024 * 1024;
    private const long HeapLimit = 64L * 1024 * 1024;

    [Fact]
    public async Task A_200_MB_file_streams_with_flat_memory()
    {
        byte[] row = "123456,some text value,\"quoted, with a comma\",3.14159,2026-11-23T14:30:00Z\n"u8.ToArray();
        var rows = FileSize / row.Length;
        using var reader = new CsvRows(new StreamReader(new RepeatingStream(row, rows)), CsvDialect.Default);

        // Growth over what the process held before (other fixtures' leftovers are not the reader's).
        var baseline = HeapAfterCollection();
        long records = 0, peakHeap = 0;
        string[] last = [];
        await Task.Yield();
        while (reader.Read())
        {
            last = Enumerable.Range(0, reader.FieldCount).Select(reader.GetString).ToArray();
            if (++records % 500_000 == 0)
                peakHeap = Math.Max(peakHeap, HeapAfterCollection() - baseline);
        }

        Assert.Equal(rows, records);
        Assert.Equal("quoted, with a comma", last[2]);
        Assert.True(peakHeap < HeapLimit, $"The heap grew by {peakHeap / 1024 / 1024} MiB while reading");
    }

    private static long HeapAfterCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;
    }

    /// <summary>A forward-only stream of one row repeated, never held in memory as a whole.</summary>
    private sealed class RepeatingStream(byte[] row, long rows) : Stream
    {
        private readonly long _length = row.Length * rows;
        private long _position;

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, _length - _position);
            for (var i = 0; i < n; i++)
                buffer[offset + i] = row[(_position + i) % row.Length];
            _position += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
