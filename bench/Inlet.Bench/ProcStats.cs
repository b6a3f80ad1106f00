using System.Diagnostics;

namespace Inlet.Bench;

/// <summary>Reads a process's memory and CPU time from /proc, as the figures are defined.</summary>
public static class ProcStats
{
    private static readonly Lazy<int> ClockTicks = new(() =>
    {
        using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
        var text = getconf.StandardOutput.ReadToEnd();
        getconf.WaitForExit();
        return int.TryParse(text.Trim(), out var ticks) ? ticks : 100;
    });

    /// <summary>VmRSS (current) or VmHWM (peak since start) in MB.</summary>
    public static double MemoryMb(int pid, string field = "VmRSS")
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]) / 1024.0;
        throw new InvalidOperationException($"/proc/{pid}/status has no {field}");
    }

    /// <summary>User + system CPU time the process has used so far.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        // The command name (field 2) may contain spaces; fields are counted after its closing parenthesis.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]); // utime, stime (fields 14 and 15 of stat)
        return TimeSpan.FromSeconds((double)ticks / ClockTicks.Value);
    }
}

/// <summary>Samples a process's resident memory in the background; the peak is the figure.</summary>
public sealed class RssSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public RssSampler(int pid)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                PeakMb = Math.Max(PeakMb, ProcStats.MemoryMb(pid));
                try { await Task.Delay(100, _stop.Token); } catch (OperationCanceledException) { }
            }
        });
    }

    public double PeakMb { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }
}

/// <summary>CPU use of a process over a window, in percent of one core.</summary>
public sealed class CpuMeter(int pid)
{
    private readonly TimeSpan _startCpu = ProcStats.CpuTime(pid);
    private readonly Stopwatch _wall = Stopwatch.StartNew();

    public double PercentOfOneCore() => (ProcStats.CpuTime(pid) - _startCpu).TotalSeconds / _wall.Elapsed.TotalSeconds * 100;
}
