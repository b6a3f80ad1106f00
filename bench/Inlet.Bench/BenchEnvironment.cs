namespace Inlet.Bench;

/// <summary>What bench.sh set up: the services' connection strings, AzCopy and psql, and where data goes.</summary>
public sealed class BenchEnvironment
{
    public required string Root { get; init; }
    public required string Postgres { get; init; }
    public required string Storage { get; init; }

    /// <summary>The landing account's connection string: where token containers are (docs/adr/0030).</summary>
    public required string Landing { get; init; }
    public required string AzCopy { get; init; }
    public required string Psql { get; init; }
    public int? AzuritePid { get; init; }

    /// <summary>Generated input files, kept between runs (git-ignored) because generating 2 GB takes a while.</summary>
    public string DataDirectory => Path.Combine(Root, ".local", "bench", "data");

    /// <summary>Per-run scratch: AzCopy logs and plans, the Host's log.</summary>
    public string RunDirectory => Path.Combine(Root, ".local", "bench", "run");

    public string ResultsFile => Path.Combine(Root, "bench", "results.json");

    public static BenchEnvironment FromVariables()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Monolith.sln")))
            root = root.Parent;
        return new BenchEnvironment
        {
            Root = root?.FullName ?? throw new InvalidOperationException("Monolith.sln not found above the bench binaries"),
            Postgres = Require("ConnectionStrings__Postgres"),
            Storage = Require("ConnectionStrings__Storage"),
            Landing = Require("ConnectionStrings__Landing"),
            AzCopy = Require("INLET_AZCOPY"),
            Psql = Path.Combine(Require("INLET_PG_BIN"), "psql"),
            AzuritePid = int.TryParse(Environment.GetEnvironmentVariable("INLET_BENCH_AZURITE_PID"), out var pid) ? pid : null,
        };
    }

    private static string Require(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{variable} is not set: run the benchmarks with ./bench.sh, which starts PostgreSQL, Azurite and AzCopy for them.");
}
