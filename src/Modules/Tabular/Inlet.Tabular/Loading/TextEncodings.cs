using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Inlet.Tabular.Loading;

/// <summary>
/// Which text encoding a CSV without a declared encoding is in: a UTF-16 or UTF-8 byte order mark is
/// honoured; otherwise UTF-8 unless the bytes are not UTF-8 but are clean Windows-1252 (what Excel and
/// older Windows tools write), in which case that is used and the outcome says so.
/// </summary>
public static class TextEncodings
{
    public const string Utf8 = "utf-8";
    public const string Windows1252 = "windows-1252";
    public const string Utf16LittleEndian = "utf-16le";
    public const string Utf16BigEndian = "utf-16be";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static TextEncodings() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    /// <summary>The encoding named by a byte order mark at the start, or null.</summary>
    public static string? FromByteOrderMark(ReadOnlySpan<byte> start) => start switch
    {
        [0xFF, 0xFE, ..] => Utf16LittleEndian,
        [0xFE, 0xFF, ..] => Utf16BigEndian,
        [0xEF, 0xBB, 0xBF, ..] => Utf8,
        _ => null,
    };

    /// <summary>A decoder for the name; UTF-8 is strict, so that bytes in another encoding are reported, never replaced.</summary>
    public static Encoding Get(string name) => name switch
    {
        Utf8 => StrictUtf8,
        Utf16LittleEndian => new UnicodeEncoding(bigEndian: false, byteOrderMark: true, throwOnInvalidBytes: true),
        Utf16BigEndian => new UnicodeEncoding(bigEndian: true, byteOrderMark: true, throwOnInvalidBytes: true),
        _ => Encoding.GetEncoding(name, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback),
    };

    /// <summary>
    /// A decoder for reading a whole file: invalid bytes become U+FFFD and are counted, rather than throwing
    /// from a read-ahead buffer far from the record they are in; the reader then names that record's line.
    /// </summary>
    public static Encoding ForReading(string name, out InvalidBytes invalid)
    {
        invalid = new InvalidBytes();
        var encoding = (Encoding)(name switch
        {
            Utf8 => new UTF8Encoding(false),
            Utf16LittleEndian => new UnicodeEncoding(false, true),
            Utf16BigEndian => new UnicodeEncoding(true, true),
            _ => Encoding.GetEncoding(name),
        }).Clone();
        encoding.DecoderFallback = invalid;
        return encoding;
    }

    public static bool IsUtf8(string name) => name.Replace("-", "").Equals("utf8", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes a sample leniently (for sniffing only): invalid bytes become U+FFFD.</summary>
    public static string DecodeSample(ReadOnlySpan<byte> sample, string encoding) => encoding switch
    {
        Utf16LittleEndian => Encoding.Unicode.GetString(sample[2..]),
        Utf16BigEndian => Encoding.BigEndianUnicode.GetString(sample[2..]),
        Windows1252 => Encoding.GetEncoding(1252).GetString(sample),
        _ => Encoding.UTF8.GetString(sample.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? sample[3..] : sample),
    };
}

/// <summary>Replaces bytes that are not valid in the encoding with U+FFFD, and counts them.</summary>
public sealed class InvalidBytes : DecoderFallback
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public override int MaxCharCount => 1;

    public override DecoderFallbackBuffer CreateFallbackBuffer() => new Buffer(this);

    private sealed class Buffer(InvalidBytes owner) : DecoderFallbackBuffer
    {
        private bool _pending;

        public override int Remaining => _pending ? 1 : 0;

        public override bool Fallback(byte[] bytesUnknown, int index)
        {
            Interlocked.Increment(ref owner._count);
            _pending = true;
            return true;
        }

        public override char GetNextChar()
        {
            if (!_pending)
                return '\0';
            _pending = false;
            return '\uFFFD';
        }

        public override bool MovePrevious() => false;

        public override void Reset() => _pending = false;
    }
}

/// <summary>Checks, chunk by chunk, whether bytes are valid UTF-8 and whether they would decode cleanly as Windows-1252.</summary>
public sealed class EncodingCheck
{
    // Windows-1252 leaves these five bytes undefined: a file holding them is in neither encoding.
    private static readonly SearchValues<byte> Undefined1252 = SearchValues.Create([0x81, 0x8D, 0x8F, 0x90, 0x9D]);
    private readonly byte[] _carry = new byte[4];
    private int _carried;

    public bool IsUtf8 { get; private set; } = true;
    public bool IsClean1252 { get; private set; } = true;

    /// <summary>The byte offset of the first byte that is not UTF-8, for the message when neither encoding fits.</summary>
    public long FirstInvalidUtf8At { get; private set; } = -1;

    private long _offset;

    public void Observe(ReadOnlySpan<byte> bytes)
    {
        if (IsClean1252 && bytes.ContainsAny(Undefined1252))
            IsClean1252 = false;
        var offset = _offset;
        _offset += bytes.Length;
        if (!IsUtf8)
            return;
        if (_carried > 0)
        {
            // A character split between two chunks: complete it with the first bytes of this one.
            var need = SequenceLength(_carry[0]) - _carried;
            if (bytes.Length < need)
            {
                bytes.CopyTo(_carry.AsSpan(_carried));
                _carried += bytes.Length;
                return;
            }
            Span<byte> joined = stackalloc byte[4];
            _carry.AsSpan(0, _carried).CopyTo(joined);
            bytes[..need].CopyTo(joined[_carried..]);
            var whole = joined[..(_carried + need)];
            _carried = 0;
            if (!System.Text.Unicode.Utf8.IsValid(whole))
            {
                Fail(offset);
                return;
            }
            bytes = bytes[need..];
            offset += need;
        }
        if (System.Text.Unicode.Utf8.IsValid(bytes))
            return;
        // Valid up to a character cut off at the end is fine: the next chunk completes it.
        var cut = bytes.Length;
        while (cut > 0 && bytes.Length - cut < 3 && (bytes[cut - 1] & 0xC0) == 0x80)
            cut--;
        if (cut > 0 && bytes[cut - 1] >= 0xC2 && bytes.Length - (cut - 1) < SequenceLength(bytes[cut - 1])
            && System.Text.Unicode.Utf8.IsValid(bytes[..(cut - 1)]))
        {
            bytes[(cut - 1)..].CopyTo(_carry);
            _carried = bytes.Length - (cut - 1);
            return;
        }
        System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out var consumed, out _, false, false);
        Fail(offset + consumed);
    }

    private static int SequenceLength(byte lead) => lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;

    private void Fail(long at)
    {
        IsUtf8 = false;
        FirstInvalidUtf8At = at;
    }

    /// <summary>At the end of the file: an incomplete character left over is invalid.</summary>
    public void Complete()
    {
        if (IsUtf8 && _carried > 0)
            Fail(_offset - _carried);
    }
}
