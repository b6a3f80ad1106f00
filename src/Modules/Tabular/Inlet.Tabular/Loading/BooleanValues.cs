namespace Inlet.Tabular.Loading;

/// <summary>The texts a boolean column reads as true and as false (Frictionless trueValues and falseValues).</summary>
public sealed class BooleanValues
{
    private static readonly string[] DefaultTrue = ["true", "True", "TRUE", "1"];
    private static readonly string[] DefaultFalse = ["false", "False", "FALSE", "0"];

    private readonly HashSet<string> _true;
    private readonly HashSet<string> _false;

    /// <summary>
    /// Frictionless's defaults, plus true and false in any case: inference accepts those, and a column
    /// inferred as boolean must load with the same values.
    /// </summary>
    public static BooleanValues Default { get; } = new(DefaultTrue, DefaultFalse, StringComparer.OrdinalIgnoreCase);

    public BooleanValues(IEnumerable<string> trueValues, IEnumerable<string> falseValues)
        : this(trueValues, falseValues, StringComparer.Ordinal)
    {
    }

    private BooleanValues(IEnumerable<string> trueValues, IEnumerable<string> falseValues, StringComparer comparer, string? description = null)
    {
        _true = new HashSet<string>(trueValues, comparer);
        _false = new HashSet<string>(falseValues, comparer);
        if (_true.Overlaps(_false))
            throw new ArgumentException("A value cannot mean both true and false.");
        Description = description ?? (ReferenceEquals(trueValues, DefaultTrue)
            ? "a boolean (true or false)"
            : $"a boolean: {string.Join(", ", _true)} for true or {string.Join(", ", _false)} for false");
    }

    // The pairs inference accepts, any case: psql writes t/f, R and SAS TRUE/FALSE, surveys yes/no or Y/N.
    private static readonly (string True, string False)[] Pairs = [("true", "false"), ("t", "f"), ("yes", "no"), ("y", "n")];
    private static readonly BooleanValues[] InferredPairs = Pairs.Select(p => new BooleanValues([p.True], [p.False], StringComparer.OrdinalIgnoreCase, $"a boolean ({p.True} or {p.False})")).ToArray();

    /// <summary>Which of the inferable true/false pairs the text belongs to, or -1.</summary>
    public static int PairOf(ReadOnlySpan<char> text)
    {
        if (text.Length > 5)
            return -1;
        for (var i = 0; i < Pairs.Length; i++)
            if (text.Equals(Pairs[i].True, StringComparison.OrdinalIgnoreCase) || text.Equals(Pairs[i].False, StringComparison.OrdinalIgnoreCase))
                return i;
        return -1;
    }

    /// <summary>The values of an inferred boolean column: one pair, any case.</summary>
    public static BooleanValues InferredPair(int pair) => InferredPairs[pair];

    /// <summary>The values a schema declares; a side it leaves out keeps Frictionless's default.</summary>
    public static BooleanValues From(IReadOnlyList<string>? trueValues, IReadOnlyList<string>? falseValues) =>
        trueValues is null && falseValues is null ? Default : new BooleanValues(trueValues ?? DefaultTrue, falseValues ?? DefaultFalse);

    /// <summary>What a value was expected to be, for error messages.</summary>
    public string Description { get; }

    public bool TryParse(string text, out bool value)
    {
        value = _true.Contains(text);
        return value || _false.Contains(text);
    }

    public bool TryParse(ReadOnlySpan<char> text, out bool value)
    {
        value = _true.GetAlternateLookup<ReadOnlySpan<char>>().Contains(text);
        return value || _false.GetAlternateLookup<ReadOnlySpan<char>>().Contains(text);
    }
}
