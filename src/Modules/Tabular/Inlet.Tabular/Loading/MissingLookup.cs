namespace Inlet.Tabular.Loading;

/// <summary>
/// Whether a field is one of the values that mean "missing", asked of every field of a load: the sets are a few
/// short strings ("", "NA"), so a length check answers most fields and a few comparisons the rest, where a hash
/// lookup would hash every field (the profile of a 1 GB load showed that hashing; docs/performance.md).
/// </summary>
public readonly struct MissingLookup
{
    private const int Linear = 8;
    private readonly string[] _values;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _set;
    private readonly int _longest;

    public MissingLookup(IReadOnlySet<string> values)
    {
        _values = [.. values];
        _longest = _values.Length == 0 ? -1 : _values.Max(v => v.Length);
        _set = new HashSet<string>(values, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool Contains(ReadOnlySpan<char> field)
    {
        if (field.Length > _longest)
            return false;
        if (_values.Length > Linear)
            return _set.Contains(field);
        foreach (var value in _values)
            if (field.SequenceEqual(value))
                return true;
        return false;
    }
}
