namespace Inlet.Tabular.LoadTable;

/// <summary>
/// What a running load has done, written by the load's threads without locks and read by a sampler on
/// another: cheap enough to update per batch, and approximate by design (it is shown, never decided on).
/// </summary>
public sealed class LoadProgress
{
    public const string Reading = "reading";
    public const string Loading = "loading";

    /// <summary>Everything is loaded; the commit waits for the malware scan's verdict on the file (docs/adr/0037).</summary>
    public const string Scanning = "scanning";

    private volatile string _phase = Reading;
    private volatile Func<long>? _bytes;
    private long _rows;

    public string Phase => _phase;

    public long BytesDone => _bytes?.Invoke() ?? 0;

    public long Rows => Interlocked.Read(ref _rows);

    /// <summary>Enters a phase whose bytes done are read from <paramref name="bytes"/>.</summary>
    public void Enter(string phase, Func<long> bytes)
    {
        _bytes = bytes;
        _phase = phase;
    }

    public void SetRows(long rows) => Interlocked.Exchange(ref _rows, rows);
}
