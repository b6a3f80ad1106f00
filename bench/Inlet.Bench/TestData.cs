using System.Globalization;
using System.Text;

namespace Inlet.Bench;

/// <summary>
/// Deterministic inputs (fixed seeds), generated once into .local/bench/data and reused by later runs:
/// the same bytes every time, so runs are comparable.
/// </summary>
public static class TestData
{
    /// <summary>The columns and the types a user would declare for them (inference should find the same).</summary>
    public static readonly (string Name, string TableSchemaType, string Sql)[] CsvColumns =
    [
        ("id", "integer", "integer"),
        ("site", "integer", "integer"),
        ("visit_date", "date", "date"),
        ("measured_at", "datetime", "timestamp with time zone"),
        ("weight", "number", "numeric"),
        ("score", "number", "numeric"),
        ("smoker", "boolean", "boolean"),
        ("comment", "string", "text"),
    ];

    private static readonly string[] Words = ["stable", "follow-up", "referred", "fasting", "\"urgent\"", "no change", "reviewed", "site visit"];

    /// <summary>A CSV of about <paramref name="bytes"/> bytes, in a folder of its own as <c>trips.csv</c>; returns its path and row count.</summary>
    public static (string Path, long Rows) Csv(BenchEnvironment env, long bytes)
    {
        var folder = Path.Combine(env.DataDirectory, $"csv-{bytes}");
        var path = Path.Combine(folder, "trips.csv");
        var rowsFile = path + ".rows";
        if (File.Exists(rowsFile))
            return (path, long.Parse(File.ReadAllText(rowsFile)));

        Directory.CreateDirectory(folder);
        var random = new Random(7);
        var day0 = new DateTime(2015, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        long rows = 0;
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20))
        {
            writer.Write(string.Join(',', CsvColumns.Select(c => c.Name)) + "\n");
            var line = new StringBuilder(160);
            while (writer.BaseStream.Position < bytes)
            {
                rows++;
                var at = day0.AddSeconds(random.NextInt64(0, 10L * 365 * 86400));
                var site = random.Next(1, 400);
                var word = Words[random.Next(Words.Length)].Replace("\"", "\"\"");
                line.Clear();
                line.Append(CultureInfo.InvariantCulture, $"{rows},{site},{at:yyyy-MM-dd},{at:yyyy-MM-dd'T'HH:mm:ss'Z'},");
                line.Append(CultureInfo.InvariantCulture, $"{random.Next(30000, 150000) / 1000m},{random.Next(-99999, 99999) / 1000m},");
                line.Append(random.Next(2) == 0 ? "true" : "false");
                line.Append(CultureInfo.InvariantCulture, $",\"Visit {rows % 97}, site {site}: {word}, weight checked\"\n");
                writer.Write(line);
            }
        }
        File.WriteAllText(rowsFile, rows.ToString(CultureInfo.InvariantCulture));
        return (path, rows);
    }

    /// <summary>A Table Schema (Frictionless) that declares the CSV's columns, as <c>trips.schema.json</c> in its own folder.</summary>
    public static string TableSchema(BenchEnvironment env)
    {
        var folder = Path.Combine(env.DataDirectory, "schema");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "trips.schema.json");
        var fields = string.Join(",\n    ", CsvColumns.Select(c => $"{{ \"name\": \"{c.Name}\", \"type\": \"{c.TableSchemaType}\" }}"));
        File.WriteAllText(path, $"{{\n  \"name\": \"trips\",\n  \"fields\": [\n    {fields}\n  ]\n}}\n");
        return path;
    }

    /// <summary>
    /// A tree of <paramref name="small"/> files of 4 KiB–1 MiB (log-uniform, so most are small, as real
    /// exports are) in ten folders, plus <paramref name="large"/> files of <paramref name="largeBytes"/>.
    /// </summary>
    public static (string Path, int Files, long Bytes) Tree(BenchEnvironment env, int small, int large, long largeBytes)
    {
        var root = Path.Combine(env.DataDirectory, $"tree-{small}-{large}-{largeBytes}");
        var done = root + ".done";
        var random = new Random(11);
        var sizes = Enumerable.Range(0, small).Select(_ => (long)Math.Round(4096 * Math.Pow(256, random.NextDouble()))).ToList();
        var total = sizes.Sum() + large * largeBytes;
        if (File.Exists(done))
            return (root, small + large, total);

        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        var buffer = new byte[1 << 20];
        void Write(string path, long size)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var file = File.Create(path);
            for (var left = size; left > 0; left -= buffer.Length)
            {
                random.NextBytes(buffer);
                file.Write(buffer, 0, (int)Math.Min(left, buffer.Length));
            }
        }
        for (var i = 0; i < small; i++)
            Write(Path.Combine(root, $"folder-{i % 10}", $"file-{i:D4}.bin"), sizes[i]);
        for (var i = 0; i < large; i++)
            Write(Path.Combine(root, "large", $"large-{i}.bin"), largeBytes);
        File.WriteAllText(done, "");
        return (root, small + large, total);
    }
}
