using System.Globalization;
using System.Text;
using Npgsql;

namespace Inlet.Tests.Tabular;

/// <summary>
/// A generated corpus of "polluted" CSV files of the kinds open-data portals hold (ragged rows, stray and
/// unusual quotes, other delimiters, preambles, two-row headers, second tables, no header, footers, other
/// line endings and encodings, missing-value markers), each with its clean twin, uploaded through one
/// database token with no metadata. Every clean row must be in the table exactly as written, or listed
/// at the table's rejects by its line: no row is silently lost or altered.
/// </summary>
public sealed class PollutedCorpusTests(InletApp app) : IClassFixture<InletApp>
{
    private static readonly string[] Columns = ["id", "name", "score", "day", "flag"];
    private static readonly string[] Names = ["Ann", "Bob", "Cyd", "Dee", "Eve", "Fay", "Gus", "Hal"];

    /// <param name="Header">The column names the table must have.</param>
    /// <param name="Clean">The clean twin: each row of the table and the line it was written on.</param>
    private sealed record Polluted(string File, byte[] Bytes, string[] Header, List<(long Line, string?[] Row)> Clean);

    /// <summary>Writes lines in a dialect and remembers which line each clean row is on.</summary>
    private sealed class Writer(char delimiter = ',', char quote = '"', char escape = '"', string separator = "", string newline = "\n")
    {
        private readonly StringBuilder _text = new();
        public long Line { get; private set; } = 1;
        public List<(long, string?[])> Clean { get; } = [];

        public void Raw(string line)
        {
            _text.Append(line).Append(newline);
            Line++;
        }

        public string Format(string?[] values) => string.Join(delimiter + separator, values.Select(Quote));

        public void Row(string?[] values, string? asWritten = null)
        {
            Clean.Add((Line, values));
            Raw(asWritten ?? Format(values));
        }

        private string Quote(string? value)
        {
            value ??= "";
            if (!value.Contains(delimiter) && !value.Contains(quote) && !value.Contains('\n'))
                return value;
            var escaped = value.Replace(quote.ToString(), escape == quote ? $"{quote}{quote}" : $"{escape}{quote}");
            return $"{quote}{escaped}{quote}";
        }

        public string Text => _text.ToString();
    }

    private static string?[] CleanRow(Random random, int id, bool commaNames = false, bool quoteNames = false, bool accents = false)
    {
        var name = Names[random.Next(Names.Length)];
        if (commaNames && random.Next(3) == 0)
            name = $"{name}, {Names[random.Next(Names.Length)]}";
        if (quoteNames && random.Next(3) == 0)
            name = $"{name} \"the {Names[random.Next(Names.Length)]}\"";
        if (accents && random.Next(2) == 0)
            name = name + "é" + "ü";
        var score = (random.Next(1000, 99999) / 100m).ToString("F2", CultureInfo.InvariantCulture);
        var day = new DateOnly(2020, 1, 1).AddDays(random.Next(2000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return [id.ToString(CultureInfo.InvariantCulture), name, score, day, random.Next(2) == 0 ? "true" : "false"];
    }

    private static Polluted Make(string name, int seed, Action<Random, Writer> write, Writer? writer = null, string[]? header = null, Encoding? encoding = null)
    {
        var random = new Random(seed);
        writer ??= new Writer();
        write(random, writer);
        var text = writer.Text;
        return new Polluted($"{name}_{seed:D2}.csv", (encoding ?? new UTF8Encoding(false)).GetBytes(text), header ?? Columns, writer.Clean);
    }

    private static void Header(Writer w) => w.Raw(w.Format(Columns));

    private static void Rows(Random random, Writer w, int count, Func<int, string?[], string?>? pollute = null, bool commaNames = false, bool quoteNames = false,
        bool accents = false)
    {
        for (var id = 1; id <= count; id++)
        {
            var row = CleanRow(random, id, commaNames, quoteNames, accents);
            var polluted = id > 3 && random.Next(10) == 0 ? pollute?.Invoke(id, row) : null;
            if (polluted is null)
                w.Row(row);
            else
                w.Row(row, polluted); // written broken: this row must be listed at rejects, never loaded as written
        }
    }

    private static IEnumerable<Polluted> Corpus()
    {
        for (var seed = 0; seed < 13; seed++)
        {
            var n = 30 + seed * 3;
            yield return Make("ragged_extra", seed, (r, w) => { Header(w); Rows(r, w, n, (_, row) => w.Format(row) + ",extra"); });
            yield return Make("ragged_missing", seed, (r, w) => { Header(w); Rows(r, w, n, (_, row) => w.Format(row[..^1])); });
            yield return Make("stray_quote", seed, (r, w) => { Header(w); Rows(r, w, n, (_, row) => w.Format(row).Replace($",{row[1]},", $",\"{row[1]},")); });
            yield return Make("text_after_quote", seed, (r, w) => { Header(w); Rows(r, w, n, (_, row) => w.Format(row).Replace($",{row[1]},", $",\"{row[1]}\"x,"), commaNames: true); });
            yield return Make("semicolon", seed, (r, w) => { Header(w); Rows(r, w, n, commaNames: true); }, new Writer(';'));
            yield return Make("tab", seed, (r, w) => { Header(w); Rows(r, w, n, commaNames: true); }, new Writer('\t'));
            yield return Make("pipe", seed, (r, w) => { Header(w); Rows(r, w, n, commaNames: true); }, new Writer('|'));
            yield return Make("space", seed, (r, w) => { Header(w); Rows(r, w, n); }, new Writer(' '));
            yield return Make("comma_space", seed, (r, w) => { Header(w); Rows(r, w, n, commaNames: true); }, new Writer(',', separator: " "));
            yield return Make("single_quote", seed, (r, w) => { Header(w); Rows(r, w, n, commaNames: true); }, new Writer(',', '\''));
            yield return Make("backslash_escape", seed, (r, w) => { Header(w); Rows(r, w, n, commaNames: true, quoteNames: true); }, new Writer(',', '"', '\\'));
            yield return Make("preamble", seed, (r, w) =>
            {
                w.Raw("Visits export");
                if (seed % 2 == 0)
                    w.Raw($"Generated 2026-11-{seed + 1:D2} by SiteTool v{seed}");
                w.Raw("");
                Header(w);
                Rows(r, w, n);
            });
            yield return Make("two_row_header", seed, (r, w) =>
            {
                w.Raw("visit,,measure,,");
                Header(w);
                Rows(r, w, n);
            }, header: ["visit_id", "visit_name", "measure_score", "measure_day", "measure_flag"]); // the group row names the columns below it
            yield return Make("second_table", seed, (r, w) =>
            {
                Header(w);
                Rows(r, w, n);
                w.Raw("");
                w.Raw("site,total");
                for (var i = 0; i < 5; i++)
                    w.Raw($"site{i},{r.Next(100)}");
            });
            yield return Make("no_header", seed, (r, w) => Rows(r, w, n), header: ["column_1", "column_2", "column_3", "column_4", "column_5"]);
            yield return Make("blank_lines_and_footer", seed, (r, w) =>
            {
                Header(w);
                for (var id = 1; id <= n; id++)
                {
                    if (id % 7 == 0)
                        w.Raw("");
                    w.Row(CleanRow(r, id));
                }
                w.Raw("");
                w.Raw($"Total rows: {n}");
            });
            yield return Make("crlf_and_cr", seed, (r, w) => { Header(w); Rows(r, w, n, commaNames: true); }, new Writer(newline: seed % 2 == 0 ? "\r\n" : "\r"));
            yield return Make("excel_bom_semicolon", seed, (r, w) => { Header(w); Rows(r, w, n, commaNames: true); }, new Writer(';', newline: "\r\n"),
                encoding: new UTF8Encoding(true));
            yield return Make("windows_1252", seed, (r, w) => { Header(w); Rows(r, w, n, accents: true); }, encoding: CodePages1252());
            yield return Make("missing_markers", seed, (r, w) =>
            {
                Header(w);
                string[] markers = ["NA", "N/A", "NULL", ".", "-", "NaN", ""];
                for (var id = 1; id <= n; id++)
                {
                    var row = CleanRow(r, id);
                    if (id > 2 && r.Next(4) == 0)
                    {
                        var marker = markers[r.Next(markers.Length)];
                        var written = (string?[])row.Clone();
                        written[2] = marker;
                        row[2] = null;
                        w.Row(row, w.Format(written));
                    }
                    else
                    {
                        w.Row(row);
                    }
                }
            });
        }
        // Past the 1 MiB sample: COPY starts on the sample's guessed types while the rest is still read (TableLoader.Guess).
        const int large = 40_000;
        yield return Make("large_ragged_extra", 90, (r, w) => { Header(w); Rows(r, w, large, (_, row) => w.Format(row) + ",extra"); });
        yield return Make("large_semicolon", 91, (r, w) => { Header(w); Rows(r, w, large, commaNames: true); }, new Writer(';'));
        yield return Make("large_windows_1252", 92, (r, w) => { Header(w); Rows(r, w, large, accents: true); }, encoding: CodePages1252());
        yield return Make("large_missing_markers", 93, (r, w) =>
        {
            Header(w);
            for (var id = 1; id <= large; id++)
            {
                var row = CleanRow(r, id);
                if (id > large - 10)
                {
                    // Only at the very end, past the sample: the guess saw none of them.
                    var written = (string?[])row.Clone();
                    written[2] = "NA";
                    row[2] = null;
                    w.Row(row, w.Format(written));
                }
                else
                {
                    w.Row(row);
                }
            }
        });
    }

    private static Encoding CodePages1252()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(1252);
    }

    [Fact]
    public async Task Every_clean_row_of_every_polluted_file_is_loaded_as_written_or_listed_at_rejects()
    {
        var corpus = Corpus().ToList();
        Assert.True(corpus.Count >= 200, $"{corpus.Count} files");
        var ws = InletApp.NewWorkspace("polluted");
        var alice = await app.SignedIn("alice", ws);
        var token = await alice.Issue(ws, new { reason = "polluted corpus", upload_to_database = true });
        var uploads = (await app.Host.UploadUntilDecided(alice, token, LocalFiles.Folder(corpus.Select(f => (f.File, f.Bytes))), corpus.Count, 300))
            .Settled().ToDictionary(u => u.Str("name"));
        Assert.Equal(corpus.Count, uploads.Count);

        var failures = new List<string>();
        await using var connection = new NpgsqlConnection(app.WorkspaceDatabase(ws));
        await connection.OpenAsync();
        foreach (var file in corpus)
        {
            var upload = uploads[file.File];
            if (upload.Str("status") != "routed")
            {
                failures.Add($"{file.File}: {upload.Str("status")}: {upload.Str("error")}");
                continue;
            }
            var table = Path.GetFileNameWithoutExtension(file.File);
            var problem = await Compare(alice, connection, ws, table, file);
            if (problem is not null)
                failures.Add($"{file.File}: {problem}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {corpus.Count} files differ from their clean twins:\n{string.Join("\n", failures)}");
    }

    private static async Task<string?> Compare(HttpClient client, NpgsqlConnection connection, string ws, string table, Polluted file)
    {
        var schema = "ws_" + ws.Replace('-', '_');
        var columns = new List<string>();
        await using (var command = new NpgsqlCommand("select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position", connection))
        {
            command.Parameters.Add(new() { Value = schema });
            command.Parameters.Add(new() { Value = table });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
                columns.Add(reader.GetString(0));
        }
        if (!file.Header.SequenceEqual(columns))
            return $"columns ({string.Join(", ", columns)}) are not ({string.Join(", ", file.Header)})";
        if (columns.Count != Columns.Length)
            return $"{columns.Count} columns";

        var loaded = new List<string?[]>();
        await using (var command = new NpgsqlCommand($"select {string.Join(", ", columns.Select(c => $"\"{c}\"::text"))} from \"{schema}\".\"{table}\" order by ctid", connection))
        await using (var reader = await command.ExecuteReaderAsync())
            while (await reader.ReadAsync())
                loaded.Add(Enumerable.Range(0, columns.Count).Select(i => reader.IsDBNull(i) ? null : reader.GetString(i)).ToArray());

        var rejected = new HashSet<long>();
        long? after = null;
        do
        {
            var page = await client.GetJson($"/api/workspaces/{ws}/tables/{table}/rejects?limit=1000{(after is { } a ? $"&after={a}" : "")}");
            foreach (var reject in page.GetProperty("rejects").EnumerateArray())
                rejected.Add(reject.GetProperty("line").GetInt64());
            after = page.GetProperty("next").ValueKind == JsonValueKind.Number ? page.GetProperty("next").GetInt64() : null;
        }
        while (after is not null);

        var next = 0;
        foreach (var (line, row) in file.Clean)
        {
            if (rejected.Contains(line))
                continue;
            if (next >= loaded.Count)
                return $"the clean row of line {line} ({string.Join("|", row)}) is neither loaded nor listed at rejects";
            var got = loaded[next++];
            if (!got.Select(v => v ?? "").SequenceEqual(row.Select(v => v ?? "")))
                return $"line {line}: loaded ({string.Join("|", got)}) but the clean row is ({string.Join("|", row)})";
        }
        return next == loaded.Count ? null : $"{loaded.Count - next} loaded row(s) are not rows of the clean twin, e.g. ({string.Join("|", loaded[next])})";
    }
}
