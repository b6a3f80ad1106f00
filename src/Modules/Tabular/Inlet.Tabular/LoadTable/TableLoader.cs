using System.Text.Json;
using System.Text.RegularExpressions;
using Inlet.BuildingBlocks.Storage;
using Inlet.BuildingBlocks.Text;
using Inlet.Tabular.Database;
using Inlet.Tabular.Loading;
using Inlet.Tabular.Metadata;
using Npgsql;
using NpgsqlTypes;

using static Inlet.Tabular.LoadTable.LoadRecords;

namespace Inlet.Tabular.LoadTable;

/// <param name="LoadKey">Identifies this CSV with this metadata: loading the same key twice changes nothing.</param>
/// <param name="Open">Opens the CSV's bytes from the start; called once: storage is read once per load.</param>
/// <param name="ExpectedMd5">The Content-MD5 the uploader stored (base64): checked on the load's own read, before anything commits.</param>
/// <param name="BadRows">What to do with rows that cannot be loaded; null: report them without metadata, refuse the file with it.</param>
/// <param name="Progress">Updated with the phase, bytes done and rows loaded as the load goes, for a sampler to show.</param>
/// <param name="LateMetadata">For a load with inferred types: called before it commits; true when metadata for the CSV arrived
/// meanwhile: then nothing commits and the load returns null, to be run again with the metadata.</param>
/// <param name="BeforeCommit">Awaited last, just before the load's transaction commits, once the file was read to its end: throws
/// to roll the load back. The malware scan in the load's own read (docs/adr/0037) waits here for clamd's clean verdict.</param>
public sealed record LoadRequest(
    string Wsid,
    string Table,
    string LoadKey,
    string Source,
    Func<CancellationToken, Task<Stream>> Open,
    TableDefinition? Definition,
    IReadOnlyList<string> MissingValues,
    string? ExpectedMd5 = null,
    BadRowPolicy? BadRows = null,
    LoadProgress? Progress = null,
    Func<CancellationToken, Task<bool>>? LateMetadata = null,
    Func<CancellationToken, Task>? BeforeCommit = null);

/// <param name="RowsRejected">Rows of the file that were not loaded; each is listed with its line and reason.</param>
/// <param name="Encoding">The text encoding the file was read in.</param>
/// <param name="Dialect">How the file was read (delimiter, quoting, header), as detected or declared.</param>
/// <param name="Renamed">Headers that are PostgreSQL system column names (<c>xmin</c>) and the columns they were loaded as (<see cref="SqlNames.SystemRenames"/>).</param>
public sealed record LoadOutcome(long Sequence, IReadOnlyList<TableColumn> Columns, long Rows, long RowsAdded, LoadMode Mode, string? Title, string? Description,
    long RowsRejected = 0, string? Encoding = null, string? Dialect = null, IReadOnlyList<RenamedColumn>? Renamed = null);

/// <summary>The CSV or its metadata is at fault; the message says what a person must change. Nothing was loaded.</summary>
public sealed class TableLoadException(string message) : Exception(message);

/// <summary>
/// Streams a CSV into a workspace table with binary COPY in one transaction: memory stays flat whatever
/// the file's size, and readers see the old table or the new one, never a half-loaded one. Storage is
/// read once: with declared types the read feeds COPY directly; to infer types the first pass also
/// spools the bytes to a local file (unlinked at once, so a crash leaves nothing) and COPY reads that.
/// The MD5 the uploader stored is checked on that same read, before the transaction commits.
/// </summary>
public sealed class TableLoader(WorkspaceDatabase database)
{
    private const int MaxRawChars = 1024;

    /// <param name="Unseen">Inferred from a sample that held no value for it (so typed text by default): the rest of the file may still type it.</param>
    private sealed record PlannedColumn(string Name, string Header, ColumnType Type, FieldDefinition? Field, BooleanValues? InferredBooleans = null, bool Unseen = false)
    {
        public HashSet<string>? Allowed { get; } = Field?.Enum is { } values ? new HashSet<string>(values, StringComparer.Ordinal) : null;

        public BooleanValues Booleans { get; } = InferredBooleans ?? BooleanValues.From(Field?.TrueValues, Field?.FalseValues);

        public Regex? Pattern { get; } = Field?.Pattern is { } p ? new Regex($"^(?:{p})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)) : null;

        public bool HasRules => Field is { } f && (f.Enum is not null || f.MinLength is not null || f.MaxLength is not null || f.Pattern is not null || f.Minimum is not null || f.Maximum is not null);

        public bool Required(TableDefinition? definition) => Field?.Required == true || definition?.PrimaryKey.Contains(Header) == true;

        public string Sql => $"{SqlNames.Quote(Name)} {ColumnTypes.PostgresName(Type)}";
    }

    /// <summary>What reading the file decided: how it is written, its columns, and which values are missing.</summary>
    /// <param name="SampleInference">For a guess: what the sample's values made of each column, where the observation of the whole file starts.</param>
    private sealed record Plan(CsvDialect Dialect, string Encoding, List<PlannedColumn> Columns, HashSet<string> Missing, bool TokensAreMissing,
        ColumnTypeInference[]? SampleInference = null);

    /// <returns>What was loaded; null when metadata arrived before the commit (<see cref="LoadRequest.LateMetadata"/>).</returns>
    public async Task<LoadOutcome?> Load(LoadRequest request, CancellationToken ct)
    {
        if (Contracts.DatabaseFiles.IsParquet(request.Source))
            return await new ParquetTableLoader(database).Load(request, ct);
        var declared = request.Definition is { Fields.Count: > 0 };
        var policy = request.BadRows ?? (declared ? BadRowPolicy.Refuse : BadRowPolicy.Report);
        await using var spool = declared ? null : TempFile();
        var check = new EncodingCheck();
        await using var through = new ReadThroughStream(await request.Open(ct), spool, check);
        request.Progress?.Enter(declared ? LoadProgress.Loading : LoadProgress.Reading, () => through.BytesRead);
        var sample = await ReadSample(through, ct);
        var wholeFile = through.Ended; // whether the sample is the file: read before the rest is read ahead
        through.StartReadingAhead();
        if (declared)
            return (await Attempt(request, policy, Declared(request, sample, wholeFile), new PrefixedStream(sample, through), through, null, ct)).Outcome!;

        // Inferred types: a guess from the sample lets the one read of storage feed COPY at once, while every value of the
        // whole file is still observed. The load commits only if the whole file agrees with the guess; otherwise the
        // observed types are loaded again from the local spool (storage is still read once).
        Plan plan;
        AttemptResult? attempt = null;
        if (Guess(request, sample, wholeFile) is { } guess)
        {
            request.Progress?.Enter(LoadProgress.Loading, () => through.BytesRead);
            attempt = await Attempt(request, policy, guess, new PrefixedStream(sample, through), through, new Observation(sample, check), ct);
            if (attempt.Outcome is { } outcome)
                return outcome;
            plan = attempt.Observed ?? guess;
        }
        else
        {
            plan = await Task.Factory.StartNew(() => Infer(request, sample, wholeFile, through, check), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        RequireMd5(request, through);
        spool!.Position = 0;
        request.Progress?.Enter(LoadProgress.Loading, () => spool.Position);
        if (attempt is not { Superseded: true })
            attempt = await Attempt(request, policy, plan, spool, null, null, ct);
        return attempt.Outcome;
    }

    /// <summary>
    /// What the guessed load saw of the whole file, to tell whether the guess held. It starts from the sample's inference:
    /// a value that converts to its column's inferred type leaves that inference as it is (<see cref="RowValues.TrySet"/>),
    /// so only the values that can change it are observed — those of columns the sample had no value for, and, once a value
    /// did not convert, every value from there on (the rows before it all fit the guess, as the sample does).
    /// </summary>
    private sealed class Observation(byte[] sample, EncodingCheck check)
    {
        public byte[] Sample { get; } = sample;
        public EncodingCheck Check { get; } = check;
        public ColumnTypeInference[] Inference { get; private set; } = [];

        /// <summary>Set at the first value the guessed types cannot hold: from then on values are only observed.</summary>
        public bool GuessFailed { get; set; }

        /// <summary>
        /// The columns whose values can change the plan: a text column whose sample held a text value stays text whatever follows,
        /// so only the others (and text columns the sample had no value for) are observed.
        /// </summary>
        public bool[] Observed { get; private set; } = [];

        /// <summary>The columns observed on every row, even while the guess holds: text columns the sample had no value for.</summary>
        public bool[] Unseen { get; private set; } = [];

        public void Start(Plan guess)
        {
            Inference = guess.SampleInference!;
            Observed = guess.Columns.Select(c => c.Type != ColumnType.Text || c.Unseen).ToArray();
            Unseen = guess.Columns.Select(c => c.Unseen).ToArray();
        }

        /// <summary>On the pipeline's writer thread, for every row of the table in file order: the fields the parser kept.</summary>
        public void Observe(RowValues row)
        {
            for (var i = 0; i < Inference.Length; i++)
                if (Observed[i] && !row.IsRawMissing(i))
                    Inference[i].Observe(row.Raw(i));
        }
    }

    /// <summary>
    /// The load committed (<see cref="Outcome"/>); or the guess did not hold and this is the plan the whole file calls for;
    /// or metadata arrived before the commit (<see cref="Superseded"/>) and nothing committed.
    /// </summary>
    private sealed record AttemptResult(LoadOutcome? Outcome, Plan? Observed, bool Superseded = false);

    /// <param name="through">The storage read when <paramref name="body"/> streams it (its MD5 is checked once it ended); null when reading the spool.</param>
    /// <param name="observation">Set when <paramref name="plan"/> is a guess to verify against the whole file.</param>
    private async Task<AttemptResult> Attempt(LoadRequest request, BadRowPolicy policy, Plan plan, Stream body, ReadThroughStream? through, Observation? observation,
        CancellationToken ct)
    {
        var schema = WorkspaceDatabase.SchemaFor(request.Wsid);
        var mode = request.Definition?.Mode ?? LoadMode.Replace;
        var columns = plan.Columns;
        await using var connection = await database.Open(request.Wsid, ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockTable(connection, request.Table, ct);
        if (await Recorded(connection, request.LoadKey, ct) is { } done)
            return new AttemptResult(done, null);

        await Execute(connection, $"create schema if not exists {SqlNames.Quote(schema)}", ct);
        var table = Qualified(schema, request.Table);
        var exists = await ExistingColumns(connection, schema, request.Table, ct);
        await using var rejects = new RejectedRows(TempFile());
        long rowsAdded;
        try
        {
            string target;
            if (mode == LoadMode.Append && exists.Count > 0)
            {
                RequireSameColumns(request, exists, columns);
                target = table;
            }
            else
            {
                var staging = mode == LoadMode.Append ? request.Table : $"_inlet_load_{Guid.NewGuid():N}";
                await Execute(connection, $"create table {Qualified(schema, staging)} ({string.Join(", ", columns.Select(c => c.Sql))})", ct);
                target = Qualified(schema, staging);
            }
            rowsAdded = await Task.Factory.StartNew(() => Copy(connection, target, plan, request, policy, body, rejects, observation, ct), ct,
                TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
            if (through is not null)
            {
                through.ReadToEnd();
                RequireMd5(request, through);
            }
            if (observation is not null)
            {
                var observed = Observed(request, plan, observation);
                if (observation.GuessFailed || !SamePlan(plan, observed))
                    return new AttemptResult(null, observed); // rolled back with the transaction; the spool holds the whole file
            }
            if (request.LateMetadata is { } late && columns.All(c => c.Field is null) && await late(ct))
                return new AttemptResult(null, null, Superseded: true); // rolled back: the metadata's types and names win
            if (target != table)
            {
                await Execute(connection, $"drop table if exists {table}", ct);
                await Execute(connection, $"alter table {target} rename to {SqlNames.Quote(request.Table)}", ct);
            }
            if (!(mode == LoadMode.Append && exists.Count > 0))
                await AddKeys(connection, table, columns, request.Definition, ct);
        }
        catch (PostgresException e) when (IsTheDatasFault(e))
        {
            throw new TableLoadException(Explain(request.Source, e));
        }
        await rejects.Save(connection, request, replace: mode == LoadMode.Replace, ct);

        var renamed = SqlNames.SystemRenames(columns.Select(c => c.Header).ToList(), columns.Select(c => c.Name).ToList());
        await Comment(connection, schema, request.Table, null, request.Definition?.Description, ct);
        foreach (var column in columns)
            await Comment(connection, schema, request.Table, column.Name, TableColumn.Comment(column.Header, column.Field), ct);
        var rows = mode == LoadMode.Append ? await CountRows(connection, table, ct) : rowsAdded;

        var described = columns.Select(c => TableColumn.Loaded(c.Name, ColumnTypes.PostgresName(c.Type), c.Header, c.Field, renamed)).ToList();
        var outcome = new LoadOutcome(0, described, rows, rowsAdded, mode,
            request.Definition?.Title, request.Definition?.Description, rejects.Count, plan.Encoding, plan.Dialect.Describe(), renamed.Count == 0 ? null : renamed);
        await using var record = new NpgsqlCommand(
            $"insert into {WorkspaceDatabase.Bookkeeping}.loads (load_key, wsid, table_name, outcome) values ($1, $2, $3, $4::jsonb) returning sequence", connection);
        record.Parameters.Add(new() { Value = request.LoadKey });
        record.Parameters.Add(new() { Value = request.Wsid });
        record.Parameters.Add(new() { Value = request.Table });
        record.Parameters.Add(new() { Value = JsonSerializer.Serialize(outcome, OutcomeJson) });
        var sequence = (long)(await record.ExecuteScalarAsync(ct))!;
        if (request.BeforeCommit is { } beforeCommit)
            await beforeCommit(ct);
        await tx.CommitAsync(ct);
        return new AttemptResult(outcome with { Sequence = sequence }, null);
    }

    /// <summary>The same table either way: dialect, encoding, column names, types and boolean spellings.</summary>
    private static bool SamePlan(Plan guess, Plan observed) =>
        guess.Encoding == observed.Encoding && guess.Dialect == observed.Dialect && guess.Columns.Count == observed.Columns.Count
        && guess.Columns.Zip(observed.Columns).All(p => p.First.Name == p.Second.Name && p.First.Header == p.Second.Header && p.First.Type == p.Second.Type
            && (p.First.Type != ColumnType.Boolean || p.First.Booleans.Equals(p.Second.Booleans)));

    /// <summary>A local file for one load, unlinked as soon as it is open: only this handle reaches it, and a crash frees it.</summary>
    private static FileStream TempFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"inlet-load-{Guid.NewGuid():N}.tmp");
        var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        File.Delete(path);
        return file;
    }

    private static async Task<byte[]> ReadSample(ReadThroughStream through, CancellationToken ct)
    {
        var buffer = new byte[CsvSniffer.SampleBytes];
        var filled = 0;
        while (filled < buffer.Length && await through.ReadAsync(buffer.AsMemory(filled), ct) is var read and > 0)
            filled += read;
        return buffer[..filled];
    }

    private static void RequireMd5(LoadRequest request, ReadThroughStream through)
    {
        if (request.ExpectedMd5 is { } expected && through.Md5() is var actual && actual != expected)
            throw new TableLoadException(ContentMd5.Mismatch(request.Source, expected, actual));
    }

    /// <summary>The encoding to read in: declared, else a byte order mark's, else UTF-8 unless the sample says Windows-1252.</summary>
    private static string SampleEncoding(LoadRequest request, byte[] sample, bool wholeFile)
    {
        if (request.Definition?.Encoding is { } declared)
            return TextEncodings.IsUtf8(declared) ? TextEncodings.Utf8 : declared;
        if (TextEncodings.FromByteOrderMark(sample) is { } marked)
            return marked;
        var check = new EncodingCheck();
        check.Observe(sample);
        if (wholeFile)
            check.Complete();
        return !check.IsUtf8 && check.IsClean1252 ? TextEncodings.Windows1252 : TextEncodings.Utf8;
    }

    private static Plan Declared(LoadRequest request, byte[] sample, bool wholeFile)
    {
        var definition = request.Definition!;
        var encoding = SampleEncoding(request, sample, wholeFile);
        var detected = definition.Delimiter is null
            ? CsvSniffer.Sniff(TextEncodings.DecodeSample(sample, encoding), wholeFile, null, definition.Quote)
            : CsvDialect.Default with { Delimiter = definition.Delimiter.Value, Quote = definition.Quote ?? '"', Escape = definition.Quote ?? '"' };
        var dialect = detected with { Header = definition.Header, HeaderRows = 1, PreambleLines = 0 };
        var names = SqlNames.Columns(definition.Fields.Select(f => f.Name).ToList());
        var columns = definition.Fields.Select((f, i) => new PlannedColumn(names[i], f.Name, f.Type, f)).ToList();
        return new Plan(dialect, encoding, columns, (definition.MissingValues).ToHashSet(StringComparer.Ordinal), TokensAreMissing: false);
    }

    /// <summary>
    /// Reads the whole file once (spooling it): every value counts, so a late outlier cannot break the load.
    /// Rows that are not the table's (ragged, broken quoting, a second table) do not count.
    /// </summary>
    private static Plan Infer(LoadRequest request, byte[] sample, bool wholeFile, ReadThroughStream through, EncodingCheck check)
    {
        var encoding = SampleEncoding(request, sample, wholeFile);
        var dialect = InferredDialect(request, TextEncodings.DecodeSample(sample, encoding), wholeFile);
        var missing = MissingFor(request);
        var lookup = new MissingLookup(missing);

        ColumnTypeInference[] inference = [];
        IReadOnlyList<string> headers = [];
        using (var text = new StreamReader(new PrefixedStream(sample, through), Lenient(encoding), detectEncodingFromByteOrderMarks: true, 1 << 16))
        using (var rows = new CsvRows(text, dialect))
        {
            var records = new TableRecords(rows, dialect);
            try
            {
                while (records.Read(out var kind))
                    if (kind == RecordKind.Data)
                        inference = Observe(inference, records, lookup);
            }
            catch (CsvFormatException e)
            {
                throw new TableLoadException($"{request.Source}: {e.Message}");
            }
            headers = records.Header ?? []; // set once, at the header or the first row
            if (inference.Length == 0)
            {
                if (headers.Count == 0)
                    throw new TableLoadException($"{request.Source} is empty: its first line must be a header naming the columns.");
                inference = headers.Select(_ => new ColumnTypeInference()).ToArray();
            }
        }
        through.ReadToEnd();
        return Settled(request, sample, dialect, encoding, headers, inference, check, missing);
    }

    /// <summary>The plan once every byte was seen: the encoding is settled, and each column's type is the one every value fits.</summary>
    private static Plan Settled(LoadRequest request, byte[] sample, CsvDialect dialect, string encoding, IReadOnlyList<string> headers,
        ColumnTypeInference[] inference, EncodingCheck check, HashSet<string> missing)
    {
        if (inference.Length != headers.Count)
            throw new InvalidOperationException($"{request.Source}: {inference.Length} columns observed but {headers.Count} in the header; the two reads disagree.");
        check.Complete();
        if (request.Definition?.Encoding is null && TextEncodings.FromByteOrderMark(sample) is null)
        {
            if (check.IsUtf8)
                encoding = TextEncodings.Utf8;
            else if (check.IsClean1252)
                encoding = TextEncodings.Windows1252;
            else
                throw new TableLoadException(
                    $"{request.Source} is not valid UTF-8 (the first invalid byte is at offset {check.FirstInvalidUtf8At:N0}) and not Windows-1252 either. Save it as UTF-8 (in Excel: \"CSV UTF-8\"), or declare its encoding in a Table Schema dialect.");
        }
        return new Plan(dialect, encoding, InferredColumns(headers, inference), missing, TokensAreMissing: true);
    }

    /// <summary>The dialect detected in the sample, with what metadata without fields says of it (delimiter, quote, no header).</summary>
    private static CsvDialect InferredDialect(LoadRequest request, string sample, bool wholeFile)
    {
        var definition = request.Definition;
        var dialect = CsvSniffer.Sniff(sample, wholeFile, definition?.Delimiter, definition?.Quote);
        return definition is { Header: false } ? dialect with { Header = false, HeaderRows = 1 } : dialect;
    }

    /// <summary>The values that mean "no value" where types are inferred: the metadata's, else Inlet's setting.</summary>
    private static HashSet<string> MissingFor(LoadRequest request) =>
        (request.Definition?.MissingValues ?? request.MissingValues).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Observes one row of the table for inference; the first row sizes the columns by the header. The sample's guess and the
    /// whole-file pass count values this way; a guessed load's check (<see cref="Observation.Observe"/>) counts the same
    /// values (missing ones left out by the same lookup) from the fields its rows kept.
    /// </summary>
    private static ColumnTypeInference[] Observe(ColumnTypeInference[] inference, TableRecords records, MissingLookup missing)
    {
        if (inference.Length == 0)
            inference = records.Header!.Select(_ => new ColumnTypeInference()).ToArray();
        var rows = records.Rows;
        for (var i = 0; i < inference.Length; i++)
            if (!missing.Contains(rows[i]))
                inference[i].Observe(rows[i]);
        return inference;
    }

    private static List<PlannedColumn> InferredColumns(IReadOnlyList<string> headers, ColumnTypeInference[] inference)
    {
        var names = SqlNames.Columns(headers);
        return headers.Select((h, i) => new PlannedColumn(names[i], h, inference[i].Result, null,
            inference[i].Result == ColumnType.Boolean ? inference[i].Booleans : null, Unseen: !inference[i].HasValue)).ToList();
    }

    /// <summary>
    /// Column types from the sample alone, for a file larger than it: the sample's last, possibly cut record is left
    /// out. Null when the sample holds no row of the table (a long preamble, a huge first row): then the whole
    /// file is read for its types before COPY starts.
    /// </summary>
    private static Plan? Guess(LoadRequest request, byte[] sample, bool wholeFile)
    {
        if (wholeFile || request.Definition?.Mode == LoadMode.Append)
            return null; // the sample is the file, so reading it twice costs nothing; or rows go straight into an existing table
        var encoding = SampleEncoding(request, sample, wholeFile);
        var text = TextEncodings.DecodeSample(sample, encoding);
        var dialect = InferredDialect(request, text, wholeFile);
        var cut = Math.Max(text.LastIndexOf('\n'), text.LastIndexOf('\r'));
        if (cut <= 0)
            return null;
        var missing = MissingFor(request);
        var lookup = new MissingLookup(missing);
        ColumnTypeInference[] inference = [];
        try
        {
            using var rows = new CsvRows(new StringReader(text[..cut]), dialect);
            var records = new TableRecords(rows, dialect);
            while (records.Read(out var kind))
                if (kind == RecordKind.Data)
                    inference = Observe(inference, records, lookup);
            return inference.Length == 0 ? null : new Plan(dialect, encoding, InferredColumns(records.Header!, inference), missing, TokensAreMissing: true, inference);
        }
        catch (CsvFormatException)
        {
            return null; // the whole read will say what is wrong, with the line
        }
    }

    /// <summary>What the guessed load observed, as the plan for the whole file.</summary>
    private static Plan Observed(LoadRequest request, Plan guess, Observation observation) =>
        Settled(request, observation.Sample, guess.Dialect, guess.Encoding, guess.Columns.Select(c => c.Header).ToList(),
            observation.Inference, observation.Check, guess.Missing);

    /// <summary>Decoding for the inference pass: the encoding is only settled once every byte was seen, so nothing may throw yet.</summary>
    private static System.Text.Encoding Lenient(string encoding) => encoding switch
    {
        TextEncodings.Utf8 => System.Text.Encoding.UTF8,
        _ => System.Text.Encoding.GetEncoding(TextEncodings.Get(encoding).CodePage),
    };

    /// <param name="observation">When the plan's types are a guess: every value is observed, and the first the guess cannot hold ends
    /// the writing (the attempt is rolled back) while the rest of the file is still observed.</param>
    private static async Task<long> Copy(NpgsqlConnection connection, string table, Plan plan, LoadRequest request, BadRowPolicy policy, Stream body,
        RejectedRows rejects, Observation? observation, CancellationToken ct)
    {
        var columns = plan.Columns;
        var definition = request.Definition;
        var declared = columns.Any(c => c.Field is not null);
        var missing = new MissingLookup(plan.Missing);
        var types = columns.Select(c => c.Type).ToList();
        var tokensMissing = columns.Select(c => plan.TokensAreMissing && c.Type != ColumnType.Text).ToArray();
        var inferred = columns.Select(c => c.Field is null).ToArray();
        var required = columns.Select(c => c.Required(definition)).ToArray();
        await using var copy = new BinaryCopy(await connection.BeginRawBinaryCopyAsync(
            $"copy {table} ({string.Join(", ", columns.Select(c => SqlNames.Quote(c.Name)))}) from stdin (format binary)", ct));
        // Parsing and converting (this thread) and encoding and writing to PostgreSQL (the writer) run side by side on batches of
        // rows; a guess's observation of the values that can change its plan runs on the writer's thread too (docs/performance.md).
        observation?.Start(plan);
        using var pipeline = new CopyPipeline(copy.Writer, types, ct, observation is null ? null : observation.Observe);
        var values = pipeline.Next();
        // A guess reads leniently, like the inference pass: the encoding is only settled once every byte was seen.
        InvalidBytes? invalid = null;
        var encoding = observation is null ? TextEncodings.ForReading(plan.Encoding, out invalid) : Lenient(plan.Encoding);
        using var text = new StreamReader(body, encoding, detectEncodingFromByteOrderMarks: true, 1 << 16);
        using var rows = new CsvRows(text, plan.Dialect, invalid: invalid, encoding: plan.Encoding);
        var records = new TableRecords(rows, plan.Dialect);
        long loaded = 0;
        var headerChecked = !declared || !plan.Dialect.Header;

        void Reject(string reason)
        {
            if (policy == BadRowPolicy.Refuse)
                throw new TableLoadException($"{request.Source}, line {rows.Line}: {reason}");
            rejects.Add(rows.Line, reason, rows.Raw);
        }

        try
        {
            while (records.Read(out var kind))
            {
                ct.ThrowIfCancellationRequested();
                switch (kind)
                {
                    case RecordKind.Header:
                        continue;
                    case RecordKind.Preamble:
                        // Not a row of the table, so never a reason to refuse it; listed all the same, so nothing is dropped unseen.
                        rejects.Add(rows.Line, records.Reason!, rows.Raw);
                        continue;
                    case RecordKind.Bad:
                        Reject(records.Reason!);
                        continue;
                }
                if (!headerChecked)
                {
                    RequireDeclaredHeader(request.Source, records.Header!, columns);
                    headerChecked = true;
                }
                if (records.Width != columns.Count)
                {
                    Reject($"the row has {records.Width} values but the table has {columns.Count} columns");
                    continue;
                }
                string? problem = null;
                // With a guess, the values that can change the plan are kept for the writer's thread to observe (Observation).
                var observed = observation?.Observed;
                var convert = observation is not { GuessFailed: true };
                if (observation is not null)
                    values.ClearRaw();
                for (var i = 0; i < columns.Count; i++)
                {
                    if (problem is not null && observed is null)
                        break; // the row is refused or rejected at its first problem
                    var field = rows[i]; // once: a quoted field is unescaped on every access
                    var isMissing = missing.Contains(field);
                    if (!convert || problem is not null)
                    {
                        if (observed![i])
                            values.SetRaw(i, field, isMissing); // the guess failed: every value from here on counts
                        continue;
                    }
                    if (observation is not null && observation.Unseen[i])
                        values.SetRaw(i, field, isMissing);
                    var column = columns[i];
                    if (isMissing)
                    {
                        if (required[i])
                            problem = Bad(i, column, field, "a value (the column is required)");
                        values.SetNull(i);
                        continue;
                    }
                    if (values.TrySet(i, field, column.Field?.Format, column.Booleans, out var expected, inferred[i]))
                    {
                        if (column.HasRules && Violation(column, field.ToString(), values.Boxed(i)) is { } rule)
                            problem = Bad(i, column, field, rule);
                        continue;
                    }
                    // No value of an inferred type is written like a missing token ("NA", "."), so they are looked for only here.
                    if (tokensMissing[i] && ColumnTypeInference.IsMissingToken(field))
                    {
                        values.SetNull(i);
                        continue;
                    }
                    problem = Bad(i, column, field, expected);
                    if (observed is not null && observed[i])
                        values.SetRaw(i, field, isMissing);
                }
                if (!convert)
                {
                    values = pipeline.Commit(write: false);
                    continue;
                }
                if (problem is not null)
                {
                    if (observation is not null)
                    {
                        // Not a bad row but a wrong guess: the whole file decides the types, and this load is rolled back.
                        observation.GuessFailed = true;
                        values = pipeline.Commit(write: false);
                        continue;
                    }
                    Reject(problem);
                    continue;
                }
                values = pipeline.Commit();
                loaded++;
                if ((loaded & 0xFFF) == 0)
                    request.Progress?.SetRows(loaded);
            }
        }
        catch (CsvFormatException e)
        {
            throw new TableLoadException($"{request.Source}: {e.Message}");
        }
        if (!headerChecked && records.Header is { } header)
            RequireDeclaredHeader(request.Source, header, columns);
        if (records.Header is null && plan.Dialect.Header && columns.All(c => c.Field is null))
            throw new TableLoadException($"{request.Source} is empty: its first line must be a header naming the columns.");
        if (observation is { GuessFailed: true })
        {
            pipeline.Drain(); // the observation of the rest of the file is complete only once the writer has seen every row
            return 0; // nothing of this attempt commits: disposing the copy cancels the COPY
        }
        pipeline.Complete();
        await copy.CompleteAsync();
        return loaded;
    }

    private static string Bad(int index, PlannedColumn column, ReadOnlySpan<char> value, string expected) =>
        $"column {index + 1} ('{column.Header}'): '{QuotedText.Printable(value.ToString(), 80)}' is not valid; expected {expected}.";

    private static void RequireDeclaredHeader(string source, IReadOnlyList<string> header, List<PlannedColumn> columns)
    {
        if (columns.All(c => c.Field is null))
            return; // inferred from this very header
        if (header.Count != columns.Count)
            throw new TableLoadException(
                $"{source}: the header has {header.Count} columns but the metadata declares {columns.Count} fields ({string.Join(", ", columns.Select(c => c.Header))}).");
        for (var i = 0; i < header.Count; i++)
            if (!string.Equals(header[i].Trim(), columns[i].Header, StringComparison.OrdinalIgnoreCase))
                throw new TableLoadException(
                    $"{source}, line 1, column {i + 1}: the header says '{QuotedText.Printable(header[i], 80)}' but the metadata's field {i + 1} is '{columns[i].Header}'. Fields must be declared in the file's column order.");
    }

    private static string? Violation(PlannedColumn column, string text, object? value)
    {
        var field = column.Field;
        if (field is null)
            return null;
        if (column.Allowed is { } allowed && !allowed.Contains(text))
            return $"one of {string.Join(", ", allowed.Take(20).Select(a => $"'{a}'"))}";
        if (field.MinLength is { } minLength && text.Length < minLength)
            return $"at least {minLength} characters";
        if (field.MaxLength is { } maxLength && text.Length > maxLength)
            return $"at most {maxLength} characters";
        if (column.Pattern is { } pattern && !pattern.IsMatch(text))
            return $"text matching the pattern {field.Pattern}";
        var number = value switch { short s => s, int i => i, long l => l, decimal d => (decimal?)d, double f => (decimal)Math.Clamp(f, (double)decimal.MinValue, (double)decimal.MaxValue), _ => null };
        if (number is { } n && field.Minimum is { } min && n < min)
            return $"a number of at least {min}";
        if (number is { } m && field.Maximum is { } max && m > max)
            return $"a number of at most {max}";
        return null;
    }

    private static void RequireSameColumns(LoadRequest request, IReadOnlyList<(string Name, string Type)> existing, List<PlannedColumn> columns)
    {
        var wanted = columns.Select(c => (c.Name, ColumnTypes.PostgresName(c.Type))).ToList();
        if (!existing.SequenceEqual(wanted))
            throw new TableLoadException(
                $"{request.Source}: cannot append to table '{request.Table}': it has columns ({Describe(existing)}) but the file has ({Describe(wanted)}). Use mode \"replace\" or make the columns match.");
    }

    private static string Describe(IEnumerable<(string Name, string Type)> columns) => string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"));

    private static async Task AddKeys(NpgsqlConnection connection, string table, List<PlannedColumn> columns, TableDefinition? definition, CancellationToken ct)
    {
        if (definition is null)
            return;
        string Name(string field) => columns.First(c => c.Header == field).Name;
        if (definition.PrimaryKey.Count > 0)
            await Execute(connection, $"alter table {table} add primary key ({string.Join(", ", definition.PrimaryKey.Select(f => SqlNames.Quote(Name(f))))})", ct);
        foreach (var column in columns.Where(c => c.Field?.Unique == true && !(definition.PrimaryKey is [var only] && only == c.Header)))
            await Execute(connection, $"alter table {table} add unique ({SqlNames.Quote(column.Name)})", ct);
    }

    private static async Task<IReadOnlyList<(string Name, string Type)>> ExistingColumns(NpgsqlConnection connection, string schema, string table, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(
            "select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position", connection);
        command.Parameters.Add(new() { Value = schema });
        command.Parameters.Add(new() { Value = table });
        var columns = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            columns.Add((reader.GetString(0), reader.GetString(1)));
        return columns;
    }
}
