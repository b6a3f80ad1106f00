using Sylvan.Data.Csv;

namespace Inlet.Tabular.Loading;

/// <summary>
/// The records of a delimited text file, read with Sylvan.Data.Csv (ADR 17), with what a loader needs
/// beyond fields: the physical line each record starts on, its raw text, and whether its quoting is
/// broken. A record whose quoting is broken is still returned (with <see cref="Problem"/> set) so the
/// caller can list it; when a stray quote swallowed the lines after it, those lines are read again on
/// their own, so one bad quote costs one line, not the rest of the file. Blank lines are skipped.
/// </summary>
public sealed class CsvRows : IDisposable
{
    /// <summary>A record must fit in Sylvan's buffer; this bounds the memory one record (or a runaway quote) can take.</summary>
    public const int MaxRecordChars = 16 * 1024 * 1024;

    /// <summary>PostgreSQL's column limit: a wider record could never be loaded anyway.</summary>
    public const int MaxColumns = 1600;

    private readonly CsvDataReader _reader;
    private readonly CsvDialect _dialect;
    private readonly char _quote;
    private long _nextLine;
    private CsvRows? _nested;
    private bool _fromNested;
    private string? _brokenFirstLine;
    private bool _disposed;

    private readonly InvalidBytes? _invalid;
    private readonly string? _encoding;

    /// <param name="invalid">Counts bytes the decoder could not read (<see cref="TextEncodings.ForReading"/>): the record holding one is an error naming its line.</param>
    public CsvRows(TextReader text, CsvDialect dialect, long firstLine = 1, InvalidBytes? invalid = null, string? encoding = null)
    {
        _invalid = invalid;
        _encoding = encoding;
        _dialect = dialect;
        _quote = dialect.Quote ?? '\0';
        _nextLine = firstLine;
        if (dialect.SpaceAfterDelimiter)
            text = new SpaceAfterDelimiterReader(text, dialect.Delimiter, dialect.Quote);
        _reader = CsvDataReader.Create(text, new CsvDataReaderOptions
        {
            Delimiter = dialect.Delimiter,
            Quote = _quote,
            Escape = dialect.Quote is null ? '\0' : dialect.Escape,
            HasHeaders = false,
            // Sylvan skips lines starting with '#' by default: that would drop data silently.
            Comment = '\0',
            // Lax keeps reading after a broken quote; Problem then says what was wrong with the record.
            CsvStyle = CsvStyle.Lax,
            BufferSize = 64 * 1024,
            MaxBufferSize = MaxRecordChars,
        });
    }

    /// <summary>The 1-based physical line on which the current record starts.</summary>
    public long Line { get; private set; }

    /// <summary>Whether one or more blank lines came right before the current record.</summary>
    public bool AfterBlankLine { get; private set; }

    /// <summary>Why the current record's quoting is broken, or null when it is well-formed.</summary>
    public string? Problem { get; private set; }

    public int FieldCount => _brokenFirstLine is not null ? 0 : _fromNested ? _nested!.FieldCount : _reader.RowFieldCount;

    /// <summary>A field's text, unquoted and unescaped; valid until the next <see cref="Read"/>.</summary>
    public ReadOnlySpan<char> this[int index] => _fromNested ? _nested![index] : _reader.GetFieldSpan(index);

    /// <summary>The record as written in the file, without its line ending; valid until the next <see cref="Read"/>.</summary>
    public ReadOnlySpan<char> Raw => _brokenFirstLine is { } line ? line : _fromNested ? _nested!.Raw : WithoutLineEnd(_reader.GetRawRecordSpan());

    public string GetString(int index) => this[index].ToString();

    /// <summary>Moves to the next non-blank record; false at the end of the file.</summary>
    /// <exception cref="CsvFormatException">The file cannot be read on (a record too long, text not in its encoding).</exception>
    public bool Read()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var blank = false;
        while (true)
        {
            _brokenFirstLine = null;
            Problem = null;
            if (_nested is not null)
            {
                if (_nested.Read())
                {
                    _fromNested = true;
                    Line = _nested.Line;
                    Problem = _nested.Problem;
                    AfterBlankLine = blank || _nested.AfterBlankLine;
                    return true;
                }
                _nested.Dispose();
                _nested = null;
                _fromNested = false;
            }
            if (!ReadOne())
            {
                if (_invalid is { Count: > 0 })
                    throw NotInEncoding(_nextLine);
                return false;
            }
            var raw = _reader.GetRawRecordSpan();
            if (_invalid is { Count: > 0 } && raw.Contains('\uFFFD'))
                throw NotInEncoding(_nextLine);
            Line = _nextLine;
            _nextLine += LineBreaks(raw);
            if (IsBlank(raw))
            {
                blank = true;
                continue;
            }
            AfterBlankLine = blank;
            if (_reader.RowFieldCount > MaxColumns)
                throw new CsvFormatException($"a record has more than {MaxColumns} columns (PostgreSQL's limit)", Line, null);
            if (_dialect.Quote is { } quote && raw.Contains(quote))
                Problem = QuotingProblem(raw, _dialect.Delimiter, quote, _dialect.Escape);
            if (Problem is not null && FirstLineBreak(raw) is var (end, length) && end + length < WithoutLineEnd(raw).Length)
            {
                // A stray quote joined the lines after it into this record: report the line it is on and read the rest again.
                _brokenFirstLine = raw[..end].ToString();
                _nested = new CsvRows(new StringReader(raw[(end + length)..].ToString()), _dialect with { SpaceAfterDelimiter = false }, Line + 1);
                _nextLine = Line + 1 + LineBreaks(raw[(end + length)..]);
                _fromNested = false;
            }
            return true;
        }
    }

    private CsvFormatException NotInEncoding(long line) => new(
        $"the text is not valid {_encoding ?? "in its encoding"}: save the file as UTF-8, or declare its encoding in the metadata", line, null);

    private bool ReadOne()
    {
        try
        {
            return _reader.Read();
        }
        catch (CsvRecordTooLargeException)
        {
            throw new CsvFormatException(
                $"a record is longer than {MaxRecordChars:N0} characters; a quote that is opened but never closed makes the rest of the file one record", _nextLine, null);
        }
        catch (System.Text.DecoderFallbackException)
        {
            throw new CsvFormatException("the text is not valid in its encoding", _nextLine, null);
        }
    }

    private static bool IsBlank(ReadOnlySpan<char> raw) => raw.Trim().IsEmpty;

    private static ReadOnlySpan<char> WithoutLineEnd(ReadOnlySpan<char> raw) => raw.TrimEnd("\r\n");

    private static (int End, int Length)? FirstLineBreak(ReadOnlySpan<char> raw)
    {
        var i = raw.IndexOfAny('\r', '\n');
        if (i < 0)
            return null;
        return (i, raw[i] == '\r' && i + 1 < raw.Length && raw[i + 1] == '\n' ? 2 : 1);
    }

    /// <summary>CR LF, CR alone and LF alone each end one line.</summary>
    internal static int LineBreaks(ReadOnlySpan<char> text)
    {
        var count = 0;
        for (var i = text.IndexOfAny('\r', '\n'); i >= 0 && i < text.Length; )
        {
            count++;
            if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                i++;
            var next = text[(i + 1)..].IndexOfAny('\r', '\n');
            i = next < 0 ? -1 : i + 1 + next;
        }
        return count;
    }

    /// <summary>
    /// RFC 4180's rules for one record: a quoted value ends at its closing quote, which a delimiter or the line's end must follow.
    /// Asked of every record that holds a quote, so it jumps between the characters that matter (vectorised searches)
    /// instead of stepping through every character.
    /// </summary>
    internal static string? QuotingProblem(ReadOnlySpan<char> raw, char delimiter, char quote, char escape)
    {
        var i = 0;
        var column = 1;
        while (i < raw.Length)
        {
            if (raw[i] != quote)
            {
                var end = raw[i..].IndexOfAny(delimiter, '\r', '\n');
                if (end < 0)
                    return null;
                i += end;
                if (raw[i] != delimiter)
                    return null;
                i++;
                column++;
                continue;
            }
            i++;
            while (true)
            {
                var next = escape != quote ? raw[i..].IndexOfAny(quote, escape) : raw[i..].IndexOf(quote);
                if (next < 0)
                    return $"column {column}: a quoted value is opened with {quote} but never closed";
                i += next;
                var c = raw[i];
                if (escape != quote && c == escape)
                {
                    i += i + 1 < raw.Length ? 2 : 1;
                    continue;
                }
                if (escape == quote && i + 1 < raw.Length && raw[i + 1] == quote)
                {
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            if (i >= raw.Length || raw[i] is '\r' or '\n')
                return null;
            if (raw[i] != delimiter)
                return $"column {column}: text follows the closing quote of a quoted value (a quote inside a quoted value must be written {(escape == quote ? $"{quote}{quote}" : $"{escape}{quote}")})";
            i++;
            column++;
        }
        return null;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _nested?.Dispose();
        _reader.Dispose();
    }

    /// <summary>Drops the spaces after each delimiter outside quoted values, for files written "a, b, c".</summary>
    private sealed class SpaceAfterDelimiterReader(TextReader inner, char delimiter, char? quote) : TextReader
    {
        private bool _inQuotes;
        private bool _afterDelimiter;

        public override int Read(Span<char> buffer)
        {
            while (true)
            {
                var read = inner.Read(buffer);
                if (read == 0)
                    return 0;
                var written = 0;
                for (var i = 0; i < read; i++)
                {
                    var c = buffer[i];
                    if (_afterDelimiter && c == ' ')
                        continue;
                    _afterDelimiter = false;
                    if (c == quote)
                        _inQuotes = !_inQuotes;
                    else if (!_inQuotes && c == delimiter)
                        _afterDelimiter = true;
                    buffer[written++] = c;
                }
                if (written > 0)
                    return written;
            }
        }

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int ReadBlock(char[] buffer, int index, int count)
        {
            var total = 0;
            while (total < count && Read(buffer.AsSpan(index + total, count - total)) is var n and > 0)
                total += n;
            return total;
        }

        public override int Read()
        {
            Span<char> one = stackalloc char[1];
            return Read(one) == 0 ? -1 : one[0];
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
