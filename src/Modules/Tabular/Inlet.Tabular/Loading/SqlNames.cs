using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace Inlet.Tabular.Loading;

/// <summary>A header whose name is one of PostgreSQL's system columns, and the column it was loaded as instead.</summary>
public sealed record RenamedColumn(string Header, string Column);

/// <summary>
/// Turns headers and file names into safe PostgreSQL identifiers: lower snake case of letters, digits and
/// underscores, within PostgreSQL's 63-byte limit (longer names would be silently cut, and could clash).
/// The one owner of column names: inferred and declared CSV columns and Parquet columns all get theirs here,
/// so a later file with the same header (an append) maps to the same column.
/// </summary>
public static class SqlNames
{
    /// <summary>
    /// The system columns every PostgreSQL table has (15: <c>attnum &lt; 0</c> in pg_attribute; <c>oid</c> is an ordinary
    /// name since 12). CREATE TABLE refuses a column of one of these names, so a bounding box <c>xmin,ymin,xmax,ymax</c>
    /// could not load; such a header becomes the name with <see cref="SystemColumnSuffix"/> appended (<c>xmin_</c>).
    /// </summary>
    public static readonly FrozenSet<string> SystemColumns = FrozenSet.Create(StringComparer.Ordinal, "tableoid", "cmax", "xmax", "cmin", "xmin", "ctid");

    /// <summary>
    /// Appended to a name that is a system column's. A name made from a header never ends in an underscore (underscores
    /// only join words), so <c>xmin_</c> cannot be another header's name, and the rename is stable: <c>xmin_</c> (an
    /// exported table's header, say) names the same column again.
    /// </summary>
    public const string SystemColumnSuffix = "_";

    public const int MaxIdentifierBytes = 63;
    private const string ColumnFallback = "column";
    private const string TableFallback = "table";
    private const string DigitPrefix = "c_";
    private const string ReservedTablePrefix = "t_";
    private static readonly string[] ReservedTableStarts = ["_inlet", "pg_"];

    public static string Column(string header) => NotSystem(Normalize(header)) ?? ColumnFallback;

    /// <summary>
    /// Column names for a header row: unique, with "column_n" (1-based) for headers that yield no name, and a system
    /// column's name (any case, quoted or not) followed by <see cref="SystemColumnSuffix"/>.
    /// </summary>
    public static IReadOnlyList<string> Columns(IReadOnlyList<string> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var names = headers.Select((header, i) => NotSystem(Normalize(header)) ?? $"{ColumnFallback}_{i + 1}").ToArray();
        // The first holder of each name keeps it, so generated names may not take a later header's own name.
        var taken = new HashSet<string>(names, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            if (!seen.Add(names[i]))
                names[i] = Unused(names[i], taken);
        }
        return names;
    }

    /// <summary>
    /// The headers that <see cref="Columns"/> renamed because their name is a system column's, with the column each became;
    /// a header already written as the new name (<c>xmin_</c>) is not a rename.
    /// </summary>
    public static IReadOnlyList<RenamedColumn> SystemRenames(IReadOnlyList<string> headers, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(names);
        var renamed = new List<RenamedColumn>();
        for (var i = 0; i < headers.Count; i++)
            if (Normalize(headers[i]) is { } name && SystemColumns.Contains(name) && !string.Equals(headers[i].Trim(), names[i], StringComparison.Ordinal))
                renamed.Add(new RenamedColumn(headers[i], names[i]));
        return renamed;
    }

    public static string Table(string name)
    {
        var table = Normalize(name) ?? TableFallback;
        // Those prefixes belong to Inlet's own tables and PostgreSQL's catalogs.
        if (ReservedTableStarts.Any(start => table.StartsWith(start, StringComparison.Ordinal)))
            table = TrimToLimit(ReservedTablePrefix + table);
        return table;
    }

    /// <summary>The identifier as a quoted SQL identifier: the only way names enter SQL.</summary>
    public static string Quote(string identifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        if (identifier.Contains('\0'))
            throw new ArgumentException("An identifier cannot contain NUL.", nameof(identifier));
        return $"\"{identifier.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
    }

    /// <summary>
    /// The text as a SQL string literal, where a statement takes no parameters (DDL, COPY): with standard_conforming_strings
    /// (on since PostgreSQL 9.1) doubling the quotes is enough.
    /// </summary>
    public static string Literal(string text)
    {
        if (text.Contains('\0'))
            throw new ArgumentException("A SQL literal cannot contain NUL.", nameof(text));
        return "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
    }

    private static string? NotSystem(string? name) => name is not null && SystemColumns.Contains(name) ? name + SystemColumnSuffix : name;

    private static string Unused(string name, HashSet<string> taken)
    {
        // A renamed system column's second holder is xmin_2, not xmin__2.
        name = name.TrimEnd('_');
        for (var n = 2; ; n++)
        {
            var suffix = $"_{n}";
            var candidate = TrimToLimit(name, MaxIdentifierBytes - suffix.Length) + suffix;
            if (taken.Add(candidate))
                return candidate;
        }
    }

    /// <summary>The snake-case name, or null when the text has no letters or digits.</summary>
    private static string? Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = new StringBuilder(text.Length);
        var pendingSeparator = false;
        foreach (var rune in text.EnumerateRunes())
        {
            if (!IsWordRune(rune))
            {
                pendingSeparator = name.Length > 0;
                continue;
            }
            if (pendingSeparator)
                name.Append('_');
            pendingSeparator = false;
            name.Append(Rune.ToLowerInvariant(rune).ToString());
        }
        if (name.Length == 0)
            return null;
        if (Rune.IsDigit(Rune.GetRuneAt(name.ToString(), 0)))
            name.Insert(0, DigitPrefix);
        return TrimToLimit(name.ToString());
    }

    // Combining marks stay, so that a decomposed é is not split into "e_".
    private static bool IsWordRune(Rune rune) =>
        Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static string TrimToLimit(string name, int maxBytes = MaxIdentifierBytes)
    {
        if (Encoding.UTF8.GetByteCount(name) <= maxBytes)
            return name;
        var cut = new StringBuilder();
        var bytes = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            bytes += rune.Utf8SequenceLength;
            if (bytes > maxBytes)
                break;
            cut.Append(rune.ToString());
        }
        return cut.ToString().TrimEnd('_');
    }
}
