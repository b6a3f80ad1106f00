namespace Inlet.BuildingBlocks.Text;

/// <summary>
/// Text from an upload (a file name, a value, a header) quoted in a message for a person: control characters
/// shown as '?' so a message cannot be broken across lines or hide text, and long text cut with an ellipsis.
/// </summary>
public static class QuotedText
{
    public static string Printable(string text, int maxChars)
    {
        var cleaned = string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = char.IsControl(source[i]) ? '?' : source[i];
        });
        return Shorten(cleaned, maxChars);
    }

    /// <summary>Text longer than <paramref name="maxChars"/> cut to its first <paramref name="maxChars"/> characters and an ellipsis.</summary>
    public static string Shorten(string text, int maxChars) => text.Length > maxChars ? text[..maxChars] + "…" : text;
}
