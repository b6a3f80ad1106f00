using System.Text;
using Inlet.Tabular.Loading;

namespace Inlet.Tests.Tabular;

internal sealed record CsvRecord(long Line, string[] Fields);

internal static class CsvTestReading
{
    public static Task<List<CsvRecord>> ReadAll(string text, CsvReaderOptions? options = null) =>
        ReadAll(Encoding.UTF8.GetBytes(text), options);

    public static async Task<List<CsvRecord>> ReadAll(byte[] bytes, CsvReaderOptions? options = null)
    {
        await using var reader = new CsvRecordReader(new MemoryStream(bytes), options);
        var records = new List<CsvRecord>();
        while (await reader.ReadAsync())
            records.Add(new CsvRecord(reader.Line, [.. reader.Fields]));
        return records;
    }

    public static async Task<char> DetectedDelimiter(string text)
    {
        await using var reader = new CsvRecordReader(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        await reader.ReadAsync();
        return reader.Delimiter;
    }
}
