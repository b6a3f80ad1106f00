namespace Inlet.BuildingBlocks.Text;

/// <summary>
/// The file patterns a token may allow (<c>*.csv</c>, <c>export-????.txt</c>): <c>*</c> any run of characters,
/// <c>?</c> one character, anything else itself, case-insensitively. A pattern without '/' is matched against the
/// file's name, one with '/' against its whole path in the upload. One owner: issuing validates with
/// <see cref="Problem"/>, routing matches with <see cref="Matches"/>.
/// </summary>
public static class FileGlob
{
    public const int MaxLength = 100;

    // Brackets and braces mean classes and alternatives in other glob dialects; refused rather than taken literally.
    private static readonly char[] Unsupported = ['[', ']', '{', '}', '\\'];

    /// <summary>What is wrong with <paramref name="pattern"/>, or null when it is a pattern this matcher understands.</summary>
    public static string? Problem(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
            return "A pattern is empty; give one such as \"*.csv\".";
        if (pattern.Length > MaxLength)
            return $"The pattern '{QuotedText.Shorten(pattern, 40)}' is {pattern.Length} characters long; at most {MaxLength} are allowed.";
        if (pattern.Any(char.IsControl))
            return "A pattern contains control characters.";
        if (pattern.IndexOfAny(Unsupported) is var at and >= 0)
            return $"The pattern '{pattern}' uses '{pattern[at]}'; only '*' (any characters) and '?' (one character) are wildcards.";
        if (pattern.StartsWith('/') || pattern.EndsWith('/'))
            return $"The pattern '{pattern}' starts or ends with '/'; patterns match file names (\"*.csv\") or paths (\"site-a/*.csv\").";
        return null;
    }

    /// <summary>Whether the uploaded file <paramref name="path"/> matches <paramref name="pattern"/>.</summary>
    public static bool Matches(string pattern, string path)
    {
        var subject = pattern.Contains('/') ? path : path[(path.LastIndexOf('/') + 1)..];
        return Match(pattern.AsSpan(), subject.AsSpan());
    }

    /// <summary>Whether <paramref name="path"/> matches any of <paramref name="patterns"/>; with none, every file does.</summary>
    public static bool Allows(IReadOnlyList<string> patterns, string path) => patterns.Count == 0 || patterns.Any(p => Matches(p, path));

    // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
    private static bool Match(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToUpperInvariant(pattern[p]) == char.ToUpperInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }
}
