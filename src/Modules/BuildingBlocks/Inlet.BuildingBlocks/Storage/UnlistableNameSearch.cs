using System.Text;

namespace Inlet.BuildingBlocks.Storage;

/// <summary>
/// Finds the name of a blob that storage cannot list, by asking only "does a listing that starts at S fail?".
/// Azurite answers a List Blobs page that holds a name with an XML-invalid character (U+0000–U+0008, U+000B, U+000C,
/// U+000E–U+001F, U+FFFE, U+FFFF) with a 500 and no body: it cannot write the name, so no client can read it. The
/// listing's <c>startFrom</c> parameter is inclusive and, unlike <c>prefix</c> and <c>marker</c>, never written back
/// into the answer, so any string may be asked for. Pure (the question is a delegate), so it is tested host-free.
/// </summary>
/// <remarks>
/// With f(S) = "the first blob at or after S cannot be listed", the search keeps a string K with f(K) true and knows
/// that f is false at the smallest string above every extension of K (at first K is empty: above every name, nothing). Each step either
/// finds that f(K + U+0000) is false, so the blob at K can be listed no further and its name is exactly K, or bisects the
/// next character: the largest c with f(K + c) true, knowing f(K + (c + 1)) false. So f is never assumed monotone (names
/// listed and unlisted may alternate), yet the answer is always a blob that exists: f(K) true and f(K + U+0000) false
/// mean the first blob at or after K is unlistable and lies below K + U+0000, so it is K. Characters are Unicode scalar
/// values in UTF-16 order (how Azurite and .NET compare names): U+0000–U+D7FF, then U+10000–U+10FFFF (surrogate pairs),
/// then U+E000–U+FFFF; a name from a URL never holds a lone surrogate. About 22 questions per character of the name.
/// </remarks>
public static class UnlistableNameSearch
{
    private const int Bmp = 0xD800; // U+0000..U+D7FF
    private const int Astral = 0x100000; // U+10000..U+10FFFF
    private const int Upper = 0x2000; // U+E000..U+FFFF

    /// <summary>How many characters there are to choose from at each position.</summary>
    public const int Alphabet = Bmp + Astral + Upper;

    /// <summary>The <paramref name="index"/>-th character in UTF-16 order (one or two UTF-16 units).</summary>
    public static string Character(int index) => index switch
    {
        < Bmp => ((char)index).ToString(),
        < Bmp + Astral => char.ConvertFromUtf32(0x10000 + index - Bmp),
        _ => ((char)(0xE000 + index - Bmp - Astral)).ToString(),
    };

    /// <summary>
    /// The name of an unlistable blob, or null when none was found within <paramref name="maxLength"/> characters or
    /// <paramref name="maxQuestions"/> questions, or when a listing from the start no longer fails.
    /// </summary>
    /// <param name="fails">
    /// Whether a listing of one blob starting at the given name fails (true) or answers (false). The caller bounds it from
    /// below (a marker, and a start it has listed past): a name below that bound asks from the bound.
    /// </param>
    public static async Task<string?> Find(Func<string, Task<bool>> fails, int maxLength, int maxQuestions)
    {
        var asked = 0;
        async Task<bool> Fails(string s)
        {
            asked++;
            return await fails(s);
        }
        if (!await Fails(""))
            return null; // nothing unlistable any more (it was routed meanwhile, or the failure was storage's own)
        var known = new StringBuilder();
        while (asked < maxQuestions)
        {
            var k = known.ToString();
            if (!await Fails(k + "\0"))
                return k;
            if (k.Length >= maxLength)
                return null;
            // f(k + Character(lo)) is true (just asked for lo = 0); f is false just above every k + c.
            int lo = 0, hi = Alphabet;
            while (hi - lo > 1 && asked < maxQuestions)
            {
                var mid = lo + (hi - lo) / 2;
                if (await Fails(k + Character(mid)))
                    lo = mid;
                else
                    hi = mid;
            }
            if (hi - lo > 1)
                return null;
            known.Append(Character(lo));
        }
        return null;
    }
}
