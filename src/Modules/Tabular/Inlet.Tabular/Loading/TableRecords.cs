namespace Inlet.Tabular.Loading;

public enum RecordKind { Preamble, Header, Data, Bad }

/// <summary>
/// Walks a file's records as its dialect describes them and says what each one is: preamble, header,
/// a row of the table, or a row that cannot be one (and why). The one owner of that judgement, so the
/// inference pass and the load pass always agree on which rows are the table's.
/// </summary>
public sealed class TableRecords(CsvRows rows, CsvDialect dialect)
{
    private int _preambleLeft = dialect.PreambleLines;
    private int _headerRowsLeft = dialect.Header ? dialect.HeaderRows : 0;
    private readonly List<string[]> _headerRows = [];
    private long _dataRows;
    private long? _secondTableAt;

    public CsvRows Rows => rows;

    /// <summary>The header's column names (as written; two header rows joined), or column_1… without a header; null until known.</summary>
    public IReadOnlyList<string>? Header { get; private set; }

    public int Width => Header?.Count ?? 0;

    /// <summary>Why the current record is not a row of the table, for a record of kind Bad or Preamble.</summary>
    public string? Reason { get; private set; }

    /// <summary>Moves to the next record; false at the end of the file.</summary>
    public bool Read(out RecordKind kind)
    {
        Reason = null;
        kind = RecordKind.Bad;
        if (!rows.Read())
            return false;
        if (_preambleLeft > 0)
        {
            _preambleLeft--;
            kind = RecordKind.Preamble;
            Reason = "this line comes before the table's header (a title or note, not a row of the table)";
            return true;
        }
        if (_headerRowsLeft > 0)
        {
            _headerRowsLeft--;
            _headerRows.Add(Fields());
            if (_headerRowsLeft == 0)
                Header = JoinHeader(_headerRows);
            kind = RecordKind.Header;
            return true;
        }
        if (Header is null)
            Header = Enumerable.Range(1, rows.FieldCount).Select(i => $"column_{i}").ToList();
        if (_secondTableAt is { } at)
        {
            Reason = $"the file holds a second table from line {at} on; only the first table is loaded";
            return true;
        }
        var startsAnotherTable = rows.AfterBlankLine && _dataRows > 0 && (rows.FieldCount != Width || RepeatsHeader());
        if (startsAnotherTable)
        {
            _secondTableAt = rows.Line;
            Reason = $"a second table starts here, after a blank line; only the first table is loaded";
            return true;
        }
        if (rows.Problem is { } problem)
        {
            Reason = $"broken quoting: {problem}";
            return true;
        }
        if (rows.FieldCount != Width)
        {
            Reason = $"the row has {rows.FieldCount} values but the header has {Width} columns. Every row needs exactly one value per column (quote values that contain '{(dialect.Delimiter == '\t' ? "\\t" : dialect.Delimiter)}').";
            return true;
        }
        _dataRows++;
        kind = RecordKind.Data;
        return true;
    }

    private string[] Fields() => Enumerable.Range(0, rows.FieldCount).Select(rows.GetString).ToArray();

    private bool RepeatsHeader()
    {
        if (_headerRows.Count == 0 || rows.FieldCount != _headerRows[0].Length)
            return false;
        for (var i = 0; i < rows.FieldCount; i++)
            if (!rows[i].SequenceEqual(_headerRows[0][i]))
                return false;
        return true;
    }

    /// <summary>A group name above column names ("Weight" over "kg" and "lb") fills the cells to its right that are empty, as merged cells are exported.</summary>
    private static List<string> JoinHeader(List<string[]> rows)
    {
        if (rows.Count == 1)
            return [.. rows[0]];
        var width = rows.Max(r => r.Length);
        var names = new List<string>(width);
        var group = "";
        for (var i = 0; i < width; i++)
        {
            var top = i < rows[0].Length ? rows[0][i].Trim() : "";
            if (top.Length > 0)
                group = top;
            var bottom = i < rows[1].Length ? rows[1][i].Trim() : "";
            names.Add(string.Join(' ', new[] { group, bottom }.Where(p => p.Length > 0)));
        }
        return names;
    }
}
