using System.Collections.Concurrent;
using System.Text;

namespace Inlet.Tabular.Loading;

/// <summary>
/// Translates Frictionless (Python strptime) date patterns such as %d/%m/%Y into .NET exact formats.
/// Numbers take one or two digits, as strptime accepts, and %z accepts Z, ±HHmm and ±HH:mm.
/// </summary>
internal static class StrptimeFormat
{
    // Frictionless v1 wrote patterns as "fmt:%d/%m/%Y".
    private const string LegacyPrefix = "fmt:";

    private static readonly Dictionary<char, string> Directives = new()
    {
        ['Y'] = "yyyy", ['y'] = "yy", ['m'] = "M", ['d'] = "d", ['b'] = "MMM", ['B'] = "MMMM",
        ['H'] = "H", ['I'] = "h", ['M'] = "m", ['S'] = "s", ['f'] = "FFFFFFF", ['p'] = "tt", ['z'] = "K", ['%'] = "\\%",
    };

    private static readonly ConcurrentDictionary<string, Translation> Cache = new();

    public sealed record Translation(string? Format, bool HasZone, string? Error);

    public static string SupportedDirectives => string.Join(" ", Directives.Keys.Select(k => $"%{k}"));

    public static Translation Translate(string pattern) => Cache.GetOrAdd(pattern, Build);

    private static Translation Build(string pattern)
    {
        var text = pattern.StartsWith(LegacyPrefix, StringComparison.Ordinal) ? pattern[LegacyPrefix.Length..] : pattern;
        var format = new StringBuilder();
        var hasZone = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                // Escaped, so that letters such as the T of 2026-11-23T10:00 stay literal.
                format.Append('\\').Append(text[i]);
                continue;
            }
            if (i + 1 == text.Length || !Directives.TryGetValue(text[i + 1], out var directive))
            {
                var found = i + 1 == text.Length ? "a lone %" : $"%{text[i + 1]}";
                return new Translation(null, false, $"{found} is not supported; use {SupportedDirectives}");
            }
            format.Append(directive);
            hasZone |= text[i + 1] == 'z';
            i++;
        }
        return new Translation(format.ToString(), hasZone, null);
    }
}
