using System.Buffers;
using System.Text.Unicode;

namespace Inlet.Tabular.Loading;

/// <summary>
/// Reads RFC 4180 CSV records from a UTF-8 stream, one at a time, holding only a fixed-size window of
/// the file plus the current record, so memory stays flat whatever the file size.
/// </summary>
public sealed class CsvRecordReader : IAsyncDisposable, IDisposable
{
    private const int BufferSize = 64 * 1024;
    private const int InitialFieldSize = 256;
    // The shared pool keeps what it is given for the life of the process; one huge field must not pin its buffer there.
    private const int MaxPooledFieldSize = 1024 * 1024;
    private const char ByteOrderMark = '\uFEFF';

    private enum State { RecordStart, FieldStart, Unquoted, Quoted, AfterQuoteInQuoted }

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly CsvReaderOptions _options;
    private readonly char _quote;
    private readonly List<string> _fields = [];

    private byte[] _bytes = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _byteStart;
    private int _byteEnd;
    private bool _streamEnded;
    private bool _invalidUtf8;
    private bool _byteOrderMarkChecked;

    private char[] _chars = ArrayPool<char>.Shared.Rent(BufferSize);
    private int _charPos;
    private int _charEnd;

    private char[] _field = ArrayPool<char>.Shared.Rent(InitialFieldSize);
    private int _fieldLength;

    private char? _delimiter;
    private SearchValues<char> _unquotedStops = null!;
    private SearchValues<char> _quotedStops = null!;
    private State _state = State.RecordStart;
    private long _physicalLine = 1;
    private long _recordLine;
    private long _quoteStartLine;
    // A CR followed by LF is one line break: the LF must not count again, even when a buffer refill falls between them.
    private bool _afterCr;
    private bool _disposed;

    /// <param name="leaveOpen">Whether the stream stays open when the reader is disposed.</param>
    public CsvRecordReader(Stream stream, CsvReaderOptions? options = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _options = options ?? new CsvReaderOptions();
        _quote = _options.Quote;
        if (_options.Delimiter is { } delimiter)
            Validate(delimiter);
        if (_quote is '\r' or '\n')
            throw new ArgumentException("The quote character cannot be a line break.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxFieldChars, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxColumns, 1, nameof(options));
    }

    /// <summary>The field separator; when detected, known only after the first <see cref="ReadAsync"/>.</summary>
    public char Delimiter => _options.Delimiter ?? _delimiter
        ?? throw new InvalidOperationException("The delimiter is detected by the first ReadAsync.");

    /// <summary>The current record's fields; the list is reused, so copy it to keep it.</summary>
    public IReadOnlyList<string> Fields => _fields;

    /// <summary>The 1-based physical line on which the current record starts.</summary>
    public long Line => _recordLine;

    /// <summary>Moves to the next record; false at the end of the file. Empty lines are skipped.</summary>
    public async ValueTask<bool> ReadAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_delimiter is null)
            await StartAsync(ct);
        _fields.Clear();
        while (true)
        {
            if (_charPos == _charEnd && !await FillAsync(ct))
            {
                if (_invalidUtf8)
                    throw new CsvFormatException("the file is not valid UTF-8; save it with UTF-8 encoding", _physicalLine, null);
                return EndOfFile();
            }
            if (ParseBuffered())
                return true;
        }
    }

    private async ValueTask StartAsync(CancellationToken ct)
    {
        var delimiter = _options.Delimiter ?? await DetectDelimiterAsync(ct);
        Validate(delimiter);
        _delimiter = delimiter;
        _unquotedStops = SearchValues.Create([delimiter, '\r', '\n']);
        _quotedStops = SearchValues.Create([_quote, '\r', '\n']);
    }

    private void Validate(char delimiter)
    {
        if (delimiter is '\r' or '\n' || delimiter == _quote)
            throw new ArgumentException($"The delimiter cannot be a line break or the quote character, but is U+{(int)delimiter:X4}.");
    }

    // Buffers the start of the file without consuming it, so parsing starts from the first character.
    private async ValueTask<char> DetectDelimiterAsync(CancellationToken ct)
    {
        while (_charEnd < _chars.Length - 1 && await FillAsync(ct))
        {
        }
        var isWholeFile = _streamEnded && _byteStart == _byteEnd && !_invalidUtf8;
        return DelimiterDetector.Detect(_chars.AsSpan(_charPos, _charEnd - _charPos), _quote, isWholeFile);
    }

    /// <summary>Parses buffered characters until a record is complete (true) or the buffer is used up (false).</summary>
    private bool ParseBuffered()
    {
        while (_charPos < _charEnd)
        {
            switch (_state)
            {
                case State.RecordStart:
                    StartRecord();
                    break;
                case State.FieldStart:
                    StartField();
                    break;
                case State.Unquoted:
                    if (ParseUnquoted())
                        return true;
                    break;
                case State.Quoted:
                    ParseQuoted();
                    break;
                case State.AfterQuoteInQuoted:
                    if (ParseAfterQuote())
                        return true;
                    break;
            }
        }
        return false;
    }

    private void StartRecord()
    {
        var c = _chars[_charPos];
        if (c is '\r' or '\n')
        {
            _charPos++;
            CountLineBreak(c);
            return;
        }
        _afterCr = false;
        _recordLine = _physicalLine;
        _state = State.FieldStart;
    }

    private void StartField()
    {
        if (_chars[_charPos] == _quote)
        {
            _charPos++;
            _quoteStartLine = _physicalLine;
            _state = State.Quoted;
        }
        else
        {
            _state = State.Unquoted;
        }
    }

    // A quote inside an unquoted field is literal text, as in: 5" disk.
    private bool ParseUnquoted()
    {
        var text = _chars.AsSpan(_charPos, _charEnd - _charPos);
        var stop = text.IndexOfAny(_unquotedStops);
        if (stop < 0)
        {
            Append(text);
            _charPos = _charEnd;
            return false;
        }
        Append(text[..stop]);
        _charPos += stop + 1;
        EndField();
        var c = text[stop];
        if (c == _delimiter)
        {
            _state = State.FieldStart;
            return false;
        }
        EndRecord(c);
        return true;
    }

    private void ParseQuoted()
    {
        var text = _chars.AsSpan(_charPos, _charEnd - _charPos);
        var stop = text.IndexOfAny(_quotedStops);
        var plain = stop < 0 ? text : text[..stop];
        if (plain.Length > 0)
            _afterCr = false;
        Append(plain);
        if (stop < 0)
        {
            _charPos = _charEnd;
            return;
        }
        _charPos += stop + 1;
        var c = text[stop];
        if (c == _quote)
        {
            _afterCr = false;
            _state = State.AfterQuoteInQuoted;
            return;
        }
        Append([c]);
        CountLineBreak(c);
    }

    // The quote either doubles (a literal quote) or closes the field, which must then end.
    private bool ParseAfterQuote()
    {
        var c = _chars[_charPos];
        if (c == _quote)
        {
            _charPos++;
            Append([c]);
            _state = State.Quoted;
            return false;
        }
        if (c == _delimiter)
        {
            _charPos++;
            EndField();
            _state = State.FieldStart;
            return false;
        }
        if (c is '\r' or '\n')
        {
            _charPos++;
            EndField();
            EndRecord(c);
            return true;
        }
        throw new CsvFormatException(
            "unexpected text after the closing quote of a quoted field; a quote inside a quoted field must be doubled (\"\")",
            _physicalLine, _fields.Count + 1);
    }

    private bool EndOfFile()
    {
        switch (_state)
        {
            case State.RecordStart:
                return false;
            case State.Quoted:
                throw new CsvFormatException("a quoted field is never closed: the file ends inside it", _quoteStartLine, _fields.Count + 1);
            default:
                EndField();
                _state = State.RecordStart;
                return true;
        }
    }

    private void EndRecord(char lineBreak)
    {
        CountLineBreak(lineBreak);
        _state = State.RecordStart;
    }

    private void CountLineBreak(char c)
    {
        if (c == '\r')
        {
            _physicalLine++;
            _afterCr = true;
        }
        else if (_afterCr)
        {
            _afterCr = false;
        }
        else
        {
            _physicalLine++;
        }
    }

    private void Append(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
            return;
        var needed = _fieldLength + text.Length;
        if (needed > _options.MaxFieldChars)
            throw new CsvFormatException($"a field is longer than {_options.MaxFieldChars} characters", _recordLine, _fields.Count + 1);
        if (needed > _field.Length)
            GrowField(needed);
        text.CopyTo(_field.AsSpan(_fieldLength));
        _fieldLength = needed;
    }

    private void GrowField(int needed)
    {
        var size = (int)Math.Min(Math.Max(needed, 2L * _field.Length), _options.MaxFieldChars);
        var larger = size <= MaxPooledFieldSize ? ArrayPool<char>.Shared.Rent(size) : GC.AllocateUninitializedArray<char>(size);
        _field.AsSpan(0, _fieldLength).CopyTo(larger);
        ReturnField();
        _field = larger;
    }

    private void ReturnField()
    {
        if (_field.Length <= MaxPooledFieldSize)
            ArrayPool<char>.Shared.Return(_field);
    }

    private void EndField()
    {
        if (_fields.Count == _options.MaxColumns)
            throw new CsvFormatException($"a record has more than {_options.MaxColumns} columns", _recordLine, null);
        _fields.Add(_fieldLength == 0 ? string.Empty : new string(_field, 0, _fieldLength));
        _fieldLength = 0;
    }

    /// <summary>
    /// Decodes more of the stream after the buffered text. False when nothing was added: at the end of the
    /// stream, at invalid UTF-8 (flagged, so the parser reports it with its line), or with a full buffer.
    /// </summary>
    private async ValueTask<bool> FillAsync(CancellationToken ct)
    {
        if (_charPos == _charEnd)
            _charPos = _charEnd = 0;
        while (true)
        {
            var status = Utf8.ToUtf16(_bytes.AsSpan(_byteStart, _byteEnd - _byteStart), _chars.AsSpan(_charEnd),
                out var read, out var written, replaceInvalidSequences: false, isFinalBlock: _streamEnded);
            _byteStart += read;
            _charEnd += written;
            if (written > 0 && !_byteOrderMarkChecked)
                written -= SkipByteOrderMark();
            if (written > 0)
                return true;
            if (status == OperationStatus.InvalidData)
                _invalidUtf8 = true;
            if (status is OperationStatus.InvalidData or OperationStatus.DestinationTooSmall || _streamEnded)
                return false;
            await ReadBytesAsync(ct);
        }
    }

    private int SkipByteOrderMark()
    {
        _byteOrderMarkChecked = true;
        if (_chars[_charPos] != ByteOrderMark)
            return 0;
        _charPos++;
        return 1;
    }

    private async ValueTask ReadBytesAsync(CancellationToken ct)
    {
        // Only the tail of a split multi-byte character can be left over.
        var leftover = _byteEnd - _byteStart;
        _bytes.AsSpan(_byteStart, leftover).CopyTo(_bytes);
        _byteStart = 0;
        _byteEnd = leftover;
        var read = await _stream.ReadAsync(_bytes.AsMemory(_byteEnd), ct);
        if (read == 0)
            _streamEnded = true;
        _byteEnd += read;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        ReturnBuffers();
        if (!_leaveOpen)
            _stream.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        ReturnBuffers();
        if (!_leaveOpen)
            await _stream.DisposeAsync();
    }

    private void ReturnBuffers()
    {
        _disposed = true;
        ArrayPool<byte>.Shared.Return(_bytes);
        ArrayPool<char>.Shared.Return(_chars);
        ReturnField();
        _bytes = [];
        _chars = [];
        _field = [];
    }
}
