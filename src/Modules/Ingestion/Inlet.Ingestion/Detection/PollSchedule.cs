namespace Inlet.Ingestion.Detection;

/// <summary>When one container was and will be listed.</summary>
public sealed class PollState
{
    public DateTimeOffset LastActivity;
    public DateTimeOffset NextPoll;
    public DateTimeOffset LastListed;
    /// <summary>The latest listing found blobs: the next one lists in full at once, without a lean look first.</summary>
    public bool HadBlobs;
}

/// <summary>
/// Which due containers to list now, within the node's listing budget (Ingestion:MaxListsPerSecond,
/// docs/adr/0022-detection-at-scale.md). Pure, so the trade-off is testable without storage.
/// </summary>
public static class PollSchedule
{
    /// <summary>
    /// How long a container waits before it is listed again: a tenth of the time since its last activity or,
    /// if it never had any, since its token was issued, so active containers and young tokens are listed
    /// often and long-idle ones rarely, between <paramref name="min"/> and <paramref name="max"/>.
    /// </summary>
    public static TimeSpan Interval(DateTimeOffset now, DateTimeOffset lastActivity, bool closed, TimeSpan min, TimeSpan max)
    {
        if (closed)
            return min; // the final sweep should finish promptly
        var idle = now - lastActivity;
        return TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 10, min.Ticks, max.Ticks));
    }

    /// <summary>
    /// The safety-net interval under push detection, varied by ±10 % so that containers listed together once
    /// (a restart) drift apart instead of being listed in bursts for ever.
    /// </summary>
    public static TimeSpan SafetyNet(TimeSpan interval, Random random)
        => TimeSpan.FromTicks((long)(interval.Ticks * (0.9 + 0.2 * random.NextDouble())));

    /// <summary>
    /// Up to <paramref name="budget"/> due containers, best first. Containers not listed for <paramref name="max"/>
    /// or more (longest waiting first) take up to half the budget: the promise that even a token idle for days is
    /// seen within MaxPollInterval, as far as the budget allows. The other half goes to the rest by how late they
    /// are relative to their own interval, so a busy container 1 s late beats an idle one 1 s late, and an
    /// over-full schedule slows the idle containers down, never the active ones. Whatever one half leaves unused
    /// goes to the other.
    /// </summary>
    public static List<Guid> Pick(IEnumerable<KeyValuePair<Guid, PollState>> states, DateTimeOffset now, int budget, TimeSpan max)
    {
        if (budget <= 0)
            return [];
        var starving = new List<(Guid Id, long Waited)>();
        var due = new List<(Guid Id, double Score)>();
        foreach (var (id, s) in states)
        {
            if (now < s.NextPoll)
                continue;
            var waited = now - s.LastListed;
            if (waited >= max)
                starving.Add((id, waited.Ticks));
            else
                due.Add((id, (double)(now - s.NextPoll).Ticks / Math.Max(1, (s.NextPoll - s.LastListed).Ticks)));
        }
        var oldest = starving.OrderByDescending(d => d.Waited).Select(d => d.Id).ToList();
        var latest = due.OrderByDescending(d => d.Score).Select(d => d.Id).ToList();
        var fromOldest = Math.Min(oldest.Count, Math.Max(budget - latest.Count, (budget + 1) / 2));
        return oldest.Take(fromOldest).Concat(latest.Take(budget - fromOldest)).ToList();
    }

    /// <summary>
    /// When a container first seen by this node is first listed: a young token at once; an older one at a random
    /// point within its interval, so a restart or a new node does not list every container in one burst.
    /// </summary>
    public static DateTimeOffset FirstPoll(DateTimeOffset now, TimeSpan interval, TimeSpan min, Random random)
        => interval <= min ? now : now + TimeSpan.FromTicks((long)(random.NextDouble() * interval.Ticks));
}
