using System.Diagnostics;

namespace Inlet.Bench;

public static class Wait
{
    /// <summary>Polls until <paramref name="condition"/> holds; a bounded wait, so a stuck run fails instead of hanging.</summary>
    public static async Task Until(Func<Task<bool>> condition, TimeSpan timeout, string what, int pollMs = 250)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (await condition())
                return;
            await Task.Delay(pollMs);
        }
        throw new TimeoutException($"within {timeout.TotalSeconds:0} s: {what}");
    }
}
