namespace Inlet.Tabular.Loading;

/// <summary>
/// Detects how a CSV without metadata is written, from a sample of its start, the way DuckDB's sniffer
/// does (ADR 17): every candidate dialect (delimiter × quote × escape) parses the sample, and the one
/// whose records most consistently have the same number of fields wins, fewer broken quotes and then more
/// columns breaking ties. Then the structure: preamble lines before the table, whether the first row is
/// a header (it is when a value of it does not fit the type of its column below), and a header spread
/// over two rows.
/// </summary>
public static class CsvSniffer
{
    /// <summary>How much of the file's start the sniffer reads.</summary>
    public const int SampleBytes = 1 << 20;

    private const int SampleRecords = 1000;

    // The order breaks ties: a comma is the most common separator.
    private static readonly (char Delimiter, bool SpaceAfter)[] Delimiters =
        [(',', false), (';', false), ('\t', false), ('|', false), (',', true), (';', true), (' ', false)];

    /// <param name="sample">The start of the file, decoded.</param>
    /// <param name="isWholeFile">Whether the sample ends where the file ends, so that its last line is complete.</param>
    /// <param name="delimiter">The delimiter metadata declares, if any: then only the rest is detected.</param>
    /// <param name="quote">The quote metadata declares, if any.</param>
    public static CsvDialect Sniff(string sample, bool isWholeFile, char? delimiter = null, char? quote = null)
    {
        if (!isWholeFile && sample.AsSpan().LastIndexOfAny('\r', '\n') is var end and > 0)
            sample = sample[..(end + 1)];
        var dialect = BestDialect(sample, delimiter, quote);
        return Structure(sample, dialect);
    }

    private static CsvDialect BestDialect(string sample, char? delimiter, char? quote)
    {
        var quotes = quote is { } q ? [q] : new List<char?> { '"' };
        if (quote is null && sample.Contains('\''))
            quotes.Add('\'');
        // No "unquoted" candidate: it would win on a file whose one stray quote breaks a record, and load that
        // record's text altered (quote and all) instead of listing it as a reject.
        var best = (Score: double.MinValue, Dialect: CsvDialect.Default with { Delimiter = delimiter ?? ',' });
        foreach (var (d, spaceAfter) in Delimiters)
        {
            if (delimiter is { } declared && d != declared)
                continue;
            if (!sample.Contains(d))
                continue;
            foreach (var candidateQuote in quotes)
            {
                var escapes = candidateQuote is { } cq && sample.Contains('\\') ? new[] { cq, '\\' } : [candidateQuote ?? '"'];
                foreach (var escape in escapes)
                {
                    if (candidateQuote == d || escape == d)
                        continue;
                    var candidate = new CsvDialect(d, candidateQuote, escape, spaceAfter);
                    var score = Score(sample, candidate);
                    if (score > best.Score)
                        best = (score, candidate);
                }
            }
        }
        return best.Dialect;
    }

    /// <summary>Records with the most common field count, less those with broken quoting; a single column scores zero.</summary>
    private static double Score(string sample, CsvDialect dialect)
    {
        var counts = new Dictionary<int, int>();
        var problems = 0;
        var records = 0;
        using (var rows = new CsvRows(new StringReader(sample), dialect))
        {
            try
            {
                while (records < SampleRecords && rows.Read())
                {
                    records++;
                    counts[rows.FieldCount] = counts.GetValueOrDefault(rows.FieldCount) + 1;
                    if (rows.Problem is not null)
                        problems++;
                }
            }
            catch (CsvFormatException)
            {
                return double.MinValue;
            }
        }
        if (records == 0)
            return double.MinValue;
        var (columns, consistent) = counts.OrderByDescending(c => c.Value).ThenByDescending(c => c.Key).Select(c => (c.Key, c.Value)).First();
        if (columns < 2)
            return 0;
        // A space separates words in text as well: it must split (almost) every record the same way to count as the delimiter.
        var required = dialect.Delimiter == ' ' ? 0.9 : 0.5;
        if (consistent < required * records)
            return 0;
        // The "a, b" variant only when (nearly) every delimiter in the sample is followed by a space.
        if (dialect.SpaceAfterDelimiter && CountOf(sample, $"{dialect.Delimiter} ") < 0.9 * CountOf(sample, dialect.Delimiter.ToString()))
            return 0;
        return consistent - 2.0 * problems + (dialect.SpaceAfterDelimiter ? 0.5 : 0) + columns / 10_000.0;
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    private static CsvDialect Structure(string sample, CsvDialect dialect)
    {
        var records = new List<string[]>();
        var broken = new List<bool>();
        using (var rows = new CsvRows(new StringReader(sample), dialect))
        {
            try
            {
                while (records.Count < SampleRecords && rows.Read())
                {
                    records.Add(Enumerable.Range(0, rows.FieldCount).Select(rows.GetString).ToArray());
                    broken.Add(rows.Problem is not null);
                }
            }
            catch (CsvFormatException)
            {
                // Detected as far as the sample reads; the load reports the record itself.
            }
        }
        if (records.Count == 0)
            return dialect;
        var width = records.Where((_, i) => !broken[i]).DefaultIfEmpty([]).GroupBy(r => r.Length).OrderByDescending(g => g.Count()).ThenByDescending(g => g.Key).First().Key;

        // Preamble: records before the first one of the table's width that most of the next (well-formed) records confirm;
        // a ragged row among them is the table's, not the end of a preamble.
        var start = 0;
        while (start < records.Count && !(records[start].Length == width && !broken[start] && Confirmed(start)))
            start++;
        bool Confirmed(int at)
        {
            var next = records.Skip(at + 1).Where((_, i) => !broken[at + 1 + i]).Take(5).ToList();
            return next.Count == 0 || next.Count(r => r.Length == width) * 2 > next.Count;
        }
        if (start == records.Count)
            start = 0;
        var table = records.Skip(start).Where((r, i) => r.Length == width && !broken[start + i]).ToList();
        if (table.Count < 2)
            return dialect with { PreambleLines = start };

        var body = table.Count > 3 ? table.Skip(2).ToList() : table.Skip(1).ToList();
        var types = ColumnTypes(body, width);
        var typed = types.Count(t => t != ColumnType.Text);
        var header = typed == 0 || !FitsAll(table[0], types);
        var headerRows = 1;
        if (header && typed > 0 && table.Count > 3 && !FitsAny(table[1], types))
            headerRows = 2; // a second row of names above typed values: a header spread over two rows
        return dialect with { PreambleLines = start, Header = header, HeaderRows = header ? headerRows : 1 };
    }

    private static List<ColumnType> ColumnTypes(List<string[]> body, int width)
    {
        var inference = Enumerable.Range(0, width).Select(_ => new ColumnTypeInference()).ToArray();
        foreach (var record in body)
            for (var i = 0; i < width; i++)
                if (record[i].Length > 0)
                    inference[i].Observe(record[i]);
        return inference.Select(i => i.Result).ToList();
    }

    /// <summary>Whether every value of the record fits its column's type (empty and missing-value tokens fit any).</summary>
    private static bool FitsAll(string[] record, List<ColumnType> types) =>
        types.Select((t, i) => t == ColumnType.Text || Fits(record[i], t)).All(f => f);

    /// <summary>Whether any value of a typed column fits its type: a header row has none that do.</summary>
    private static bool FitsAny(string[] record, List<ColumnType> types) =>
        types.Select((t, i) => t != ColumnType.Text && record[i].Length > 0 && !ColumnTypeInference.IsMissingToken(record[i]) && Fits(record[i], t)).Any(f => f);

    private static bool Fits(string value, ColumnType type)
    {
        if (value.Length == 0 || ColumnTypeInference.IsMissingToken(value))
            return true;
        var inference = new ColumnTypeInference();
        inference.Observe(value);
        var own = inference.Result;
        static bool IsNumber(ColumnType t) => t is ColumnType.Integer or ColumnType.BigInt or ColumnType.Numeric;
        static bool IsMoment(ColumnType t) => t is ColumnType.Date or ColumnType.Timestamp;
        return own == type || (IsNumber(own) && IsNumber(type)) || (IsMoment(own) && IsMoment(type));
    }
}
