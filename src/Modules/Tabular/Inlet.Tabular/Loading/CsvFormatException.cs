namespace Inlet.Tabular.Loading;

/// <summary>The file is not CSV we can read; <see cref="Line"/> is 1-based, <see cref="Column"/> the 1-based field number when known.</summary>
public sealed class CsvFormatException(string message, long line, int? column)
    : Exception(column is null ? $"Line {line}: {message}" : $"Line {line}, column {column}: {message}")
{
    public long Line { get; } = line;

    public int? Column { get; } = column;
}
