using System.Globalization;
using System.Text;

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

    /// <summary>
    /// <paramref name="text"/> with every character a person cannot see as itself written as its code point in angle
    /// brackets (<c>invoice&lt;U+202E&gt;txt.exe</c>, <c>ctl&lt;U+0001&gt;x.txt</c>): control, format (direction controls,
    /// zero-width), separator and surrogate characters and the noncharacters U+FFFE/U+FFFF. For naming a refused name in
    /// its reason: what a person reads is exactly what was sent, and the message holds nothing that displays otherwise.
    /// </summary>
    public static string Visible(string text, int maxChars)
    {
        var visible = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (CharUnicodeInfo.GetUnicodeCategory(text, i) == UnicodeCategory.Format)
                    visible.Append('<').Append(CodePoint(char.ConvertToUtf32(c, text[i + 1]))).Append('>');
                else
                    visible.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            var unseen = CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate || c is '\uFFFE' or '\uFFFF';
            if (unseen)
                visible.Append('<').Append(CodePoint(c)).Append('>');
            else
                visible.Append(c);
        }
        return Shorten(visible.ToString(), maxChars);
    }

    /// <summary>A code point as people look it up: <c>U+202E</c>.</summary>
    public static string CodePoint(int value) => $"U+{value:X4}";

    /// <summary>Text longer than <paramref name="maxChars"/> cut to its first <paramref name="maxChars"/> characters and an ellipsis.</summary>
    public static string Shorten(string text, int maxChars) => text.Length > maxChars ? text[..maxChars] + "…" : text;
}
