using System.Text.Json.Nodes;

namespace Inlet.Bench;

/// <summary>The results as a plain table on stdout: one line per figure, nested figures with dotted names.</summary>
public static class ResultsTable
{
    public static void Print(JsonArray scenarios)
    {
        var rows = scenarios.OfType<JsonObject>()
            .SelectMany(s => Flatten(s).Where(f => f.Name != "scenario").Select(f => (Scenario: s["scenario"]!.GetValue<string>(), f.Name, f.Value)))
            .ToList();
        var w1 = rows.Max(r => r.Scenario.Length) + 2;
        var w2 = rows.Max(r => r.Name.Length) + 2;
        Console.WriteLine($"{"scenario".PadRight(w1)}{"figure".PadRight(w2)}value");
        foreach (var (scenario, name, value) in rows)
            Console.WriteLine($"{scenario.PadRight(w1)}{name.PadRight(w2)}{value}");
    }

    private static IEnumerable<(string Name, string Value)> Flatten(JsonObject node, string prefix = "")
    {
        foreach (var (key, value) in node)
        {
            if (value is JsonObject inner)
                foreach (var item in Flatten(inner, $"{prefix}{key}."))
                    yield return item;
            else
                yield return ($"{prefix}{key}", value is JsonArray array ? string.Join("; ", array.Select(a => a?.ToString())) : value?.ToString() ?? "null");
        }
    }
}
