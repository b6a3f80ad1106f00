namespace Inlet.Tabular.Loading;

/// <summary>Guesses the field separator from the first lines of a file.</summary>
internal static class DelimiterDetector
{
    // The order breaks ties: a comma is the most common separator, a tab the least.
    private static readonly char[] Candidates = [',', ';', '\t'];
    private const int MaxLines = 20;
    private const char Fallback = ',';

    /// <param name="text">The start of the file.</param>
    /// <param name="isWholeFile">Whether the text ends where the file ends, so that its last line is complete.</param>
    public static char Detect(ReadOnlySpan<char> text, char quote, bool isWholeFile)
    {
        var lines = CountPerLine(text, quote, isWholeFile);
        if (lines.Count == 0)
            return Fallback;
        return MostFrequentConsistent(lines) ?? MostFrequentInHeader(lines[0]) ?? Fallback;
    }

    private static char? MostFrequentConsistent(List<int[]> lines)
    {
        char? best = null;
        var bestCount = 0;
        for (var k = 0; k < Candidates.Length; k++)
        {
            var count = lines[0][k];
            if (count > bestCount && lines.TrueForAll(line => line[k] == count))
                (best, bestCount) = (Candidates[k], count);
        }
        return best;
    }

    // A ragged file still has a header; its separator is the best remaining guess.
    private static char? MostFrequentInHeader(int[] header)
    {
        var best = Array.IndexOf(header, header.Max());
        return header[best] > 0 ? Candidates[best] : null;
    }

    private static List<int[]> CountPerLine(ReadOnlySpan<char> text, char quote, bool isWholeFile)
    {
        var lines = new List<int[]>();
        var counts = new int[Candidates.Length];
        var lineHasText = false;
        var inQuotes = false;
        var atFieldStart = true;
        for (var i = 0; i < text.Length && lines.Count < MaxLines; i++)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c != quote)
                    continue;
                if (i + 1 < text.Length && text[i + 1] == quote)
                    i++;
                else
                    inQuotes = false;
                continue;
            }
            if (c is '\r' or '\n')
            {
                if (lineHasText)
                    lines.Add(counts);
                counts = new int[Candidates.Length];
                lineHasText = false;
                atFieldStart = true;
                continue;
            }
            lineHasText = true;
            var candidate = Array.IndexOf(Candidates, c);
            if (candidate >= 0)
                counts[candidate]++;
            else if (c == quote && atFieldStart)
                inQuotes = true;
            atFieldStart = candidate >= 0;
        }
        // A cut-off last line would undercount; use it only when it is complete or all there is.
        if (lineHasText && lines.Count < MaxLines && (isWholeFile || lines.Count == 0))
            lines.Add(counts);
        return lines;
    }
}
