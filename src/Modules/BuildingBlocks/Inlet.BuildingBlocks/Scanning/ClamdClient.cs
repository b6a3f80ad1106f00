using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Inlet.BuildingBlocks.Scanning;

/// <summary>What clamd said of a stream: clean, or the name of the signature it matched.</summary>
public sealed record ScanVerdict(string? Signature)
{
    public bool Clean => Signature is null;
}

/// <summary>clamd could not be asked, or gave no usable answer: the file must wait, never pass.</summary>
public sealed class ScannerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A small client for clamd's INSTREAM protocol (clamd(8)): <c>zINSTREAM\0</c>, then chunks each prefixed by
/// its length as a 4-byte big-endian integer, a zero length to end; clamd answers <c>stream: OK</c>,
/// <c>stream: NAME FOUND</c> or <c>… ERROR</c>. The bytes are read from <see cref="Stream"/> a chunk at a time,
/// so a file of any size costs the Host one chunk buffer. A new connection per scan: on the local socket it costs
/// about 0.1 ms against clamd's 0.2–0.3 ms for a small file (measured, docs/adr/0023-malware-scanning.md, revision
/// 2026-12-03), so a pooled IDSESSION would save little and add a state to keep right.
/// </summary>
public sealed class ClamdClient(IOptions<ScanningOptions> options)
{
    /// <summary>The last failure to reach clamd on this node, for readiness; null after a scan or ping worked.</summary>
    public string? LastFailure { get; private set; }

    /// <summary>
    /// Streams <paramref name="content"/> to clamd and returns its verdict. <paramref name="alsoHash"/>, when given, is fed
    /// the same bytes, so a caller that must check the uploader's MD5 reads the file once for both.
    /// </summary>
    public async Task<ScanVerdict> Scan(Stream content, IncrementalHash? alsoHash, CancellationToken ct)
    {
        var o = options.Value;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(o.ChunkBytes + 4);
        try
        {
            using var socket = await Connect(ct);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await Send(stream, "zINSTREAM\0"u8.ToArray(), ct);
            while (true)
            {
                // A storage failure here stays storage's (retried as such), not the scanner's.
                var read = await content.ReadAtLeastAsync(buffer.AsMemory(4, o.ChunkBytes), o.ChunkBytes, throwOnEndOfStream: false, ct);
                if (read == 0)
                    break;
                alsoHash?.AppendData(buffer, 4, read);
                BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)read);
                try
                {
                    await Send(stream, buffer.AsMemory(0, read + 4), ct);
                }
                catch (ScannerUnavailableException)
                {
                    // clamd stops reading a stream past its StreamMaxLength and says so: blocked, never passed.
                    if (await RefusedAsTooLong(stream, ct) is not { } refused)
                        throw;
                    LastFailure = null;
                    return Parse(refused);
                }
            }
            await Send(stream, new byte[4], ct);
            var answer = await Answer(stream, ct);
            LastFailure = null;
            return Parse(answer);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>After clamd stopped taking a stream: its answer if it says the stream was too long, else null (the scan failed).</summary>
    private async Task<string?> RefusedAsTooLong(NetworkStream stream, CancellationToken ct)
    {
        try
        {
            var answer = await Answer(stream, ct);
            return answer.Contains("size limit exceeded", StringComparison.Ordinal) ? answer : null;
        }
        catch (ScannerUnavailableException)
        {
            return null;
        }
    }

    /// <summary>clamd's <c>PING</c> → <c>PONG</c>: for readiness.</summary>
    public async Task<bool> Ping(CancellationToken ct)
    {
        try
        {
            using var socket = await Connect(ct);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await Send(stream, "zPING\0"u8.ToArray(), ct);
            var answer = await Answer(stream, ct);
            if (answer != "PONG")
                throw new ScannerUnavailableException($"clamd answered PING with '{answer}'.");
            LastFailure = null;
            return true;
        }
        catch (ScannerUnavailableException e)
        {
            LastFailure = e.Message;
            return false;
        }
    }

    public static ScanVerdict Parse(string answer)
    {
        // "stream: OK", "stream: Eicar-Test-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
        var text = answer.StartsWith("stream: ", StringComparison.Ordinal) ? answer["stream: ".Length..] : answer;
        if (text == "OK")
            return new ScanVerdict(null);
        if (text.EndsWith(" FOUND", StringComparison.Ordinal))
            return new ScanVerdict(text[..^" FOUND".Length]);
        // Past StreamMaxLength: like AlertExceedsMax's Heuristics.Limits.Exceeded.*, a file too large to scan is blocked, never passed.
        if (text.StartsWith("INSTREAM size limit exceeded", StringComparison.Ordinal))
            return new ScanVerdict("Heuristics.Limits.Exceeded.StreamMaxLength");
        throw new ScannerUnavailableException($"clamd could not scan the file: {text}");
    }

    private async Task<Socket> Connect(CancellationToken ct)
    {
        var endpoint = options.Value.Endpoint;
        using var timeout = Timeout(ct);
        Socket? socket = null;
        try
        {
            if (endpoint.StartsWith("unix:", StringComparison.Ordinal))
            {
                socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(endpoint["unix:".Length..]), timeout.Token);
            }
            else if (Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme == "tcp")
            {
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(uri.Host, uri.Port is > 0 ? uri.Port : 3310, timeout.Token);
            }
            else
            {
                throw new ScannerUnavailableException(endpoint.Length == 0
                    ? "Scanning:Endpoint is not configured (unix:/path/clamd.sock or tcp://host:3310); files wait in 'scanning'."
                    : "Scanning:Endpoint must be unix:/path/clamd.sock or tcp://host:port.");
            }
            return socket;
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket?.Dispose();
            throw Remember(new ScannerUnavailableException($"clamd at {endpoint} is not reachable: {e.Message}", e));
        }
        catch (ScannerUnavailableException e)
        {
            socket?.Dispose();
            throw Remember(e);
        }
    }

    private async Task Send(NetworkStream stream, ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        using var timeout = Timeout(ct);
        try
        {
            await stream.WriteAsync(bytes, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            // clamd closes the connection when a stream passes StreamMaxLength; its answer says so, if it can still be read.
            throw Remember(new ScannerUnavailableException($"clamd stopped taking the file: {e.Message}", e));
        }
    }

    private async Task<string> Answer(NetworkStream stream, CancellationToken ct)
    {
        using var timeout = Timeout(ct);
        var answer = new MemoryStream();
        var one = new byte[256];
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(one, timeout.Token);
                if (n == 0)
                    break;
                answer.Write(one, 0, n);
                if (one[n - 1] == 0 || answer.Length > 4096)
                    break;
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw Remember(new ScannerUnavailableException($"clamd gave no answer: {e.Message}", e));
        }
        var text = Encoding.UTF8.GetString(answer.GetBuffer(), 0, (int)answer.Length).TrimEnd('\0', '\n');
        if (text.Length == 0)
            throw Remember(new ScannerUnavailableException("clamd closed the connection without an answer."));
        return text;
    }

    private CancellationTokenSource Timeout(CancellationToken ct)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(ct);
        source.CancelAfter(options.Value.Timeout);
        return source;
    }

    private ScannerUnavailableException Remember(ScannerUnavailableException e)
    {
        LastFailure = e.Message;
        return e;
    }
}
