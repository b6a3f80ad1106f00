using Inlet.BuildingBlocks.Text;

namespace Inlet.Tabular.ExportTable;

/// <summary>
/// Makes PostgreSQL's own CSV output (<c>COPY … TO STDOUT (FORMAT csv, HEADER)</c>: comma, double quote doubled, a field
/// quoted only when it holds a comma, quote or line break) safe to open in a spreadsheet while it streams: the first
/// character of each value of a guarded column goes through <see cref="SpreadsheetText"/>, whose rule it is; every other
/// character passes unchanged, so memory stays one chunk whatever the table's size. The header row is left as it is
/// (column names come from SqlNames and never begin with a trigger character).
/// </summary>
/// <param name="guarded">Per column: true for text, whose values a spreadsheet might run; false for numbers, dates and
/// booleans, which are written as PostgreSQL writes them (so -5 stays -5).</param>
public sealed class SpreadsheetSafeCsv(IReadOnlyList<bool> guarded)
{
    private enum State { FieldStart, QuotedStart, Quoted, QuoteInQuoted, Unquoted }

    private State _state = State.FieldStart;
    private int _field;
    private bool _header = true;

    /// <summary>The most characters <see cref="Transform"/> writes for <paramref name="input"/> characters (each may gain a guard).</summary>
    public static int MaxOutput(int input) => 2 * input;

    /// <summary>Transforms the next chunk of the CSV into <paramref name="output"/> (at least <see cref="MaxOutput"/> long); answers how many characters it wrote.</summary>
    public int Transform(ReadOnlySpan<char> input, Span<char> output)
    {
        var o = 0;
        foreach (var c in input)
        {
            switch (_state)
            {
                case State.FieldStart:
                    if (c == '"')
                        _state = State.QuotedStart;
                    else if (c == ',')
                        _field++;
                    else if (c == '\n')
                        EndRow();
                    else if (c != '\r') // PostgreSQL quotes a value holding a CR: an unquoted one ends a line (CRLF)
                    {
                        o = Guard(c, output, o);
                        _state = State.Unquoted;
                    }
                    break;
                case State.QuotedStart:
                    if (c == '"')
                        _state = State.QuoteInQuoted; // the end of "" or the first of a doubled quote: neither a trigger
                    else
                    {
                        o = Guard(c, output, o);
                        _state = State.Quoted;
                    }
                    break;
                case State.Quoted:
                    if (c == '"')
                        _state = State.QuoteInQuoted;
                    break;
                case State.QuoteInQuoted:
                    if (c == '"')
                        _state = State.Quoted;
                    else
                        AfterValue(c);
                    break;
                default:
                    AfterValue(c);
                    break;
            }
            output[o++] = c;
        }
        return o;
    }

    private int Guard(char first, Span<char> output, int o)
    {
        if (!_header && _field < guarded.Count && guarded[_field] && SpreadsheetText.StartsFormula(first))
            output[o++] = SpreadsheetText.Guard;
        return o;
    }

    private void AfterValue(char c)
    {
        if (c == ',')
        {
            _field++;
            _state = State.FieldStart;
        }
        else if (c == '\n')
        {
            EndRow();
        }
        else
        {
            _state = State.Unquoted;
        }
    }

    private void EndRow()
    {
        _header = false;
        _field = 0;
        _state = State.FieldStart;
    }
}
