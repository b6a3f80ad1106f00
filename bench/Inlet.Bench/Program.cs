using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inlet.Bench;
using Inlet.Bench.Scenarios;

// ./bench.sh [--quick] [--only <scenario>[,<scenario>…]] — see docs/adr/0010-benchmarks.md.
var quick = args.Contains("--quick");
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',');
var size = quick ? BenchSize.Small : BenchSize.Full;
var env = BenchEnvironment.FromVariables();
// In order: tokens seeds the workspace that idle_tokens tops up and audit reads.
IScenario[] scenarios = [new CsvLoadScenario(), new ParquetLoadScenario(), new IngestScenario(), new TokensScenario(), new IdleTokensScenario(), new AuditScenario()];
var selected = scenarios.Where(s => only is null || only.Contains(s.Name)).ToList();

var wall = Stopwatch.StartNew();
BenchContext.Log($"starting the Host ({(quick ? "quick" : "full")} run: {string.Join(", ", selected.Select(s => s.Name))})");
var results = new JsonArray();
var failed = false;
double startRssMb, endRssMb, peakRssMb;
await using (var host = await InletHost.Start(env))
{
    startRssMb = ProcStats.MemoryMb(host.Pid);
    var context = new BenchContext(env, size, host);
    foreach (var scenario in selected)
    {
        var clock = Stopwatch.StartNew();
        JsonObject result;
        try
        {
            result = await scenario.Run(context);
        }
        catch (Exception e)
        {
            // One broken scenario must not hide the others' figures; the run still fails at the end.
            failed = true;
            BenchContext.Log($"{scenario.Name} FAILED: {e}");
            result = new JsonObject { ["scenario"] = scenario.Name, ["error"] = e.Message };
        }
        result["scenario_wall_s"] = Stats.Round(clock.Elapsed.TotalSeconds);
        results.Add(result);
        BenchContext.Log($"{scenario.Name}: {result.ToJsonString()}");
    }
    endRssMb = ProcStats.MemoryMb(host.Pid);
    peakRssMb = ProcStats.MemoryMb(host.Pid, "VmHWM");
}

var document = new JsonObject
{
    ["quick"] = quick,
    ["finished_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
    ["machine"] = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
    ["wall_s"] = Stats.Round(wall.Elapsed.TotalSeconds),
    // The Host's memory when it first answers /health/ready, at the end, and its peak (VmHWM) over the run.
    ["host_rss_at_start_mb"] = Math.Round(startRssMb),
    ["host_rss_at_end_mb"] = Math.Round(endRssMb),
    ["host_vmhwm_mb"] = Math.Round(peakRssMb),
    ["scenarios"] = results,
};
await File.WriteAllTextAsync(env.ResultsFile, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
// The file CI checks: prove it parses before saying it was written.
JsonDocument.Parse(await File.ReadAllTextAsync(env.ResultsFile)).Dispose();
ResultsTable.Print(results);
Console.WriteLine($"results: {Path.GetRelativePath(Environment.CurrentDirectory, env.ResultsFile)} ({wall.Elapsed.TotalMinutes:0.0} min)");
return failed ? 1 : 0;
