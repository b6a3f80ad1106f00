namespace Inlet.Tabular.Loading;

/// <summary>How a delimited text file is written: what separates, quotes and escapes, and where its rows begin.</summary>
/// <param name="Delimiter">The field separator.</param>
/// <param name="Quote">The character that quotes values; null when the file quotes nothing.</param>
/// <param name="Escape">The character that escapes a quote inside a quoted value: the quote itself (doubled quotes, RFC 4180) or a backslash.</param>
/// <param name="SpaceAfterDelimiter">Values are separated by the delimiter and a space (<c>a, b, c</c>): the space is not part of the value.</param>
/// <param name="Header">Whether the first row (after any preamble) names the columns.</param>
/// <param name="HeaderRows">How many rows the header takes: 2 where a header is spread over two rows (a group name above each column name).</param>
/// <param name="PreambleLines">How many records before the header are not part of the table (titles, notes, export banners).</param>
public sealed record CsvDialect(
    char Delimiter = ',',
    char? Quote = '"',
    char Escape = '"',
    bool SpaceAfterDelimiter = false,
    bool Header = true,
    int HeaderRows = 1,
    int PreambleLines = 0)
{
    public static CsvDialect Default { get; } = new();

    /// <summary>For the upload record and error messages: "';' delimited, quoted with '\"'".</summary>
    public string Describe()
    {
        var delimiter = Delimiter switch { '\t' => "tab", ' ' => "space", _ => $"'{Delimiter}'" } + (SpaceAfterDelimiter ? " and space" : "");
        var quote = Quote is { } q ? $"quoted with {q}{(Escape == q ? "" : $", escaped with {Escape}")}" : "unquoted";
        var header = !Header ? "no header" : HeaderRows > 1 ? $"a {HeaderRows}-row header" : "a header";
        var preamble = PreambleLines > 0 ? $", {PreambleLines} preamble line(s)" : "";
        return $"{delimiter}-delimited, {quote}, {header}{preamble}";
    }
}
