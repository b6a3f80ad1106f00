using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Inlet.Tabular.Loading;

/// <summary>
/// Writes rows in PostgreSQL's binary COPY format (the tuple layout of the COPY documentation, each value in its
/// type's binary send form) into large buffers, and hands full buffers to a stream: Npgsql's raw binary COPY
/// stream for a load. Npgsql's <c>NpgsqlBinaryImporter</c> does the same per value through its general parameter
/// and converter machinery; the profile of a 1 GB load showed that machinery as most of the writer thread's time
/// (docs/performance.md), while the types a CSV yields have fixed, simple encodings. ADR 17, revision 2026-12-03.
/// </summary>
public sealed class BinaryCopyWriter(Stream output, int bufferBytes = 1 << 18)
{
    // "PGCOPY\n\377\r\n\0", then no flags and no header extension.
    private static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private const long PostgresEpochTicks = 630822816000000000L; // 2000-01-01T00:00:00
    private static readonly int PostgresEpochDay = new DateOnly(2000, 1, 1).DayNumber;

    private readonly byte[] _buffer = new byte[bufferBytes];
    private readonly Encoder _utf8 = new UTF8Encoding(false, false).GetEncoder();
    private int _used;

    public void WriteHeader() => Append(Header);

    /// <summary>Ends the data (the trailer) and hands the last buffer to the stream.</summary>
    public void Complete()
    {
        Word(-1);
        Flush();
    }

    public void StartRow(int fields) => Word((short)fields);

    public void WriteNull() => Length(-1);

    public void WriteBoolean(bool value) => Field(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16BigEndian(Field(2), value);

    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32BigEndian(Field(4), value);

    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64BigEndian(Field(8), value);

    public void WriteSingle(float value) => BinaryPrimitives.WriteSingleBigEndian(Field(4), value);

    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleBigEndian(Field(8), value);

    /// <summary>date: days since 2000-01-01.</summary>
    public void WriteDate(DateOnly value) => WriteInt32(value.DayNumber - PostgresEpochDay);

    /// <summary>time: microseconds since midnight.</summary>
    public void WriteTime(TimeOnly value) => WriteInt64(value.Ticks / 10);

    /// <summary>timestamp and timestamptz: microseconds since 2000-01-01T00:00 (UTC for timestamptz), truncated like Npgsql does.</summary>
    public void WriteTimestamp(DateTime value) => WriteInt64((value.Ticks - PostgresEpochTicks) / 10);

    public void WriteUuid(Guid value) => value.TryWriteBytes(Field(16), bigEndian: true, out _);

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        Length(value.Length);
        Append(value);
    }

    /// <summary>text: the value's UTF-8 bytes (a lone surrogate becomes U+FFFD, as Npgsql's encoder does).</summary>
    public void WriteText(ReadOnlySpan<char> value) => WriteUtf8(value, prefix: null);

    /// <summary>jsonb: its format version (1), then the JSON text.</summary>
    public void WriteJsonb(ReadOnlySpan<char> value) => WriteUtf8(value, prefix: 1);

    /// <summary>
    /// numeric: base-10000 digits around the decimal point, weight = the power of 10000 of the first digit,
    /// display scale = the decimal's scale (so 1.50 stays 1.50, as Npgsql writes it).
    /// </summary>
    public void WriteNumeric(decimal value)
    {
        Span<char> text = stackalloc char[40];
        value.TryFormat(text, out var length, default, CultureInfo.InvariantCulture);
        text = text[..length];
        var negative = text[0] == '-';
        if (negative)
            text = text[1..];
        var point = text.IndexOf('.');
        var whole = point < 0 ? text : text[..point];
        var fraction = point < 0 ? [] : text[(point + 1)..];
        var scale = fraction.Length;

        // Whole part: groups of four counted from the point; fraction: groups of four from the point, zero-padded on the right.
        Span<short> digits = stackalloc short[16];
        var count = 0;
        var lead = whole.Length % 4;
        for (var start = 0; start < whole.Length; )
        {
            var take = start == 0 && lead > 0 ? lead : 4;
            digits[count++] = Group(whole.Slice(start, take), take);
            start += take;
        }
        var weight = count - 1;
        for (var start = 0; start < fraction.Length; start += 4)
        {
            var take = Math.Min(4, fraction.Length - start);
            digits[count++] = Group(fraction.Slice(start, take), 4);
        }
        var first = 0;
        while (first < count && digits[first] == 0)
        {
            first++;
            weight--;
        }
        while (count > first && digits[count - 1] == 0)
            count--;
        var ndigits = count - first;
        if (ndigits == 0)
        {
            weight = 0;
            negative = false;
        }

        var target = Field(8 + 2 * ndigits);
        BinaryPrimitives.WriteInt16BigEndian(target, (short)ndigits);
        BinaryPrimitives.WriteInt16BigEndian(target[2..], (short)weight);
        BinaryPrimitives.WriteUInt16BigEndian(target[4..], negative ? (ushort)0x4000 : (ushort)0);
        BinaryPrimitives.WriteInt16BigEndian(target[6..], (short)scale);
        for (var i = 0; i < ndigits; i++)
            BinaryPrimitives.WriteInt16BigEndian(target[(8 + 2 * i)..], digits[first + i]);
    }

    /// <summary>The value of up to four decimal digits, as if padded with zeros on the right to <paramref name="width"/>.</summary>
    private static short Group(ReadOnlySpan<char> chars, int width)
    {
        var value = 0;
        for (var i = 0; i < width; i++)
            value = value * 10 + (i < chars.Length ? chars[i] - '0' : 0);
        return (short)value;
    }

    private void WriteUtf8(ReadOnlySpan<char> value, byte? prefix)
    {
        var extra = prefix is null ? 0 : 1;
        var most = Encoding.UTF8.GetMaxByteCount(value.Length) + extra;
        if (4 + most <= _buffer.Length)
        {
            Room(4 + most);
            var start = _used;
            _used += 4;
            if (prefix is { } p)
                _buffer[_used++] = p;
            _used += _utf8.GetBytes(value, _buffer.AsSpan(_used), flush: true);
            BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(start), _used - start - 4);
            return;
        }
        // A value larger than the buffer (up to a record's limit): its length first, then its bytes in pieces.
        Length(_utf8.GetByteCount(value, flush: true) + extra);
        _utf8.Reset();
        if (prefix is { } b)
        {
            Room(1);
            _buffer[_used++] = b;
        }
        while (true)
        {
            Room(16);
            _utf8.Convert(value, _buffer.AsSpan(_used), flush: true, out var charsUsed, out var bytesUsed, out var completed);
            _used += bytesUsed;
            value = value[charsUsed..];
            if (completed && value.IsEmpty)
                return;
            Flush();
        }
    }

    /// <summary>A row's field count, or the trailer.</summary>
    private void Word(short value)
    {
        Room(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_used), value);
        _used += 2;
    }

    /// <summary>A fixed-size value: its length word, then the span its bytes go into (room for both is made first).</summary>
    private Span<byte> Field(int bytes)
    {
        Length(bytes);
        var span = _buffer.AsSpan(_used, bytes);
        _used += bytes;
        return span;
    }

    /// <summary>A field's length word; the bytes must follow at once (the caller made room for them with this call).</summary>
    private void Length(int bytes)
    {
        // A value larger than the buffer is appended in pieces after its length word (WriteBytes, WriteUtf8).
        var need = 4 + Math.Max(bytes, 0);
        Room(need <= _buffer.Length ? need : 4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_used), bytes);
        _used += 4;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_used == _buffer.Length)
                Flush();
            var take = Math.Min(bytes.Length, _buffer.Length - _used);
            bytes[..take].CopyTo(_buffer.AsSpan(_used));
            _used += take;
            bytes = bytes[take..];
        }
    }

    private void Room(int bytes)
    {
        if (_buffer.Length - _used < bytes)
            Flush();
    }

    private void Flush()
    {
        if (_used == 0)
            return;
        output.Write(_buffer, 0, _used);
        _used = 0;
    }
}
