namespace Inlet.Tabular.Loading;

public sealed class CsvReaderOptions
{
    /// <summary>The field separator; null detects it among ',', ';' and tab from the start of the file.</summary>
    public char? Delimiter { get; init; }

    public char Quote { get; init; } = '"';

    /// <summary>Bounds the memory one field may take: the reader holds a whole field before handing it over.</summary>
    public int MaxFieldChars { get; init; } = 32 * 1024 * 1024;

    /// <summary>PostgreSQL's column limit: a wider record could never be loaded anyway.</summary>
    public int MaxColumns { get; init; } = 1600;
}
