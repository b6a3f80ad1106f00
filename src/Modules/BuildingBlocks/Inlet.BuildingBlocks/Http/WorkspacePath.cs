using System.Globalization;
using System.Text;
using Inlet.BuildingBlocks.Text;

namespace Inlet.BuildingBlocks.Http;

/// <summary>
/// Relative paths inside a workspace area (<c>a/b/c</c>): never absolute, never escaping upwards, and never able to look
/// like another path. The one owner of these rules: token folders, routed upload names and the file endpoints' paths.
/// A path is kept in one normalisation form, NFC (<see cref="Normalise"/>), so two spellings of one name (<c>café</c>
/// composed and decomposed) are one path and the second upload of it gets the usual <c>café (2).txt</c>.
/// </summary>
public static class WorkspacePath
{
    public const int MaxSegmentLength = 255;

    /// <summary>Why <paramref name="path"/> is not an acceptable relative path, or null when it is.</summary>
    public static string? Problem(string path, int maxLength)
    {
        if (path.Length == 0)
            return "The path is empty; give a relative path such as 'site-a/2026' or leave it out.";
        if (path.Length > maxLength)
            return $"The path is {path.Length} characters long; at most {maxLength} are allowed.";
        if (Unseen(path) is { } unseen)
            return unseen;
        if (path.StartsWith('/'))
            return "The path must be relative: remove the leading '/'.";
        if (path.Contains('\\'))
            return "Use '/' to separate folders; '\\' is not allowed.";
        var normal = Nfc(path);
        if (normal.Length > maxLength)
            return $"The path is {normal.Length} characters long in Unicode's composed form (NFC); at most {maxLength} are allowed.";
        var segments = normal.TrimEnd('/').Split('/');
        foreach (var segment in segments)
        {
            if (segment.Length == 0)
                return "The path has an empty folder name ('//').";
            if (segment is "." or "..")
                return "The path may not contain '.' or '..' segments.";
            if (segment.Length > MaxSegmentLength)
                return $"A folder name is longer than {MaxSegmentLength} characters.";
            if (segment.Trim().Length == 0)
                return "A folder name consists only of spaces.";
        }
        return null;
    }

    /// <summary>
    /// The first character of <paramref name="path"/> a person cannot see as itself, as the reason it is refused; or null.
    /// Control characters; format characters (Unicode category Cf): the direction controls U+202A–U+202E, U+2066–U+2069,
    /// U+200E, U+200F and U+061C, which make <c>invoice&lt;U+202E&gt;txt.exe</c> display as <c>invoiceexe.txt</c>, and the
    /// zero-width U+200B–U+200D, U+2060 and U+FEFF, which make two different names look the same; line and paragraph
    /// separators; lone surrogates; and the noncharacters U+FFFE and U+FFFF (which XML cannot hold either). Refused
    /// rather than made visible, so a name is never silently changed (ADR 7) and nothing downstream has to escape it.
    /// </summary>
    public static string? Unseen(string path)
    {
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (char.IsHighSurrogate(c) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1]))
            {
                if (CharUnicodeInfo.GetUnicodeCategory(path, i) == UnicodeCategory.Format) // e.g. the tag characters U+E0001…
                    return $"The path contains {QuotedText.CodePoint(char.ConvertToUtf32(c, path[i + 1]))}, an invisible formatting character, at character {i + 1}.";
                i++;
                continue;
            }
            var what = CharUnicodeInfo.GetUnicodeCategory(c) switch
            {
                UnicodeCategory.Control => "a control character",
                UnicodeCategory.Format when c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C'
                    => "a direction control, which changes how the name is displayed",
                UnicodeCategory.Format => "an invisible formatting character",
                UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => "a line separator",
                UnicodeCategory.Surrogate => "half of a surrogate pair",
                _ when c is '\uFFFE' or '\uFFFF' => "a Unicode noncharacter",
                _ => null,
            };
            if (what is not null)
                return $"The path contains {QuotedText.CodePoint(c)}, {what}, at character {i + 1}.";
        }
        return null;
    }

    /// <summary>The one form a path is stored and compared in: NFC, without a trailing '/'. Only for a path <see cref="Problem"/> accepted.</summary>
    public static string Normalise(string path) => Nfc(path.TrimEnd('/'));

    /// <summary>
    /// Unicode's composed form. Not <see cref="string.Normalize()"/>: Inlet runs with InvariantGlobalization, where it
    /// returns the text unchanged (and IsNormalized says true); ADRaffy.ENSNormalize carries its own Unicode 15 tables
    /// and passes Unicode's NormalizationTest. ASCII, most names, is already NFC and returned as it is.
    /// </summary>
    public static string Nfc(string text) => Ascii.IsValid(text) ? text : ADRaffy.ENSNormalize.ENSNormalize.NF.NFC(text);
}
