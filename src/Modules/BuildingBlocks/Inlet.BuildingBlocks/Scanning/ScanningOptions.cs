namespace Inlet.BuildingBlocks.Scanning;

/// <summary>Configuration section <c>Scanning</c> (docs/adr/0023-malware-scanning.md).</summary>
public sealed class ScanningOptions
{
    /// <summary>Every routed file is scanned before it is usable; false routes without scanning (nothing waits).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Where clamd listens: <c>unix:/path/clamd.sock</c> or <c>tcp://host:3310</c>. Empty while Enabled: files wait in
    /// <c>scanning</c> and readiness says why — never routed unscanned.
    /// </summary>
    public string Endpoint { get; set; } = "";

    /// <summary>How long clamd may stay silent (connecting, taking a chunk, answering) before the scan counts as failed and is retried.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Bytes sent to clamd per INSTREAM chunk; the Host holds about two of these per scan.</summary>
    public int ChunkBytes { get; set; } = 128 * 1024;

    /// <summary>
    /// How long work that needs a verdict waits before it asks clamd again when clamd could not be asked: a table load whose
    /// scan failed (nothing of it committed) runs again after this, and so on until clamd answers (docs/adr/0037).
    /// </summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(30);
}
