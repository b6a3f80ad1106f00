using System.Net.Sockets;

namespace Inlet.Tests.Infrastructure;

/// <summary>
/// A unix-socket proxy in front of the real clamd that test.sh started, which a test can take down: mid-scan (after a
/// connection has passed a number of bytes to clamd, it is cut, and new ones are refused) and back up. A fixture points
/// its Host's <c>Scanning:Endpoint</c> at <see cref="Endpoint"/>, so an outage of its own leaves the clamd every other
/// test uses alone.
/// </summary>
public sealed class ClamdProxy : IDisposable
{
    private readonly string _target;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private volatile bool _down;
    private long _cutAfter = long.MaxValue;
    private TaskCompletionSource _cut = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ClamdProxy()
    {
        var endpoint = Environment.GetEnvironmentVariable("Scanning__Endpoint") ?? throw new InvalidOperationException("Scanning__Endpoint is not set; run the tests with ./test.sh.");
        _target = endpoint["unix:".Length..];
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"clamd-proxy-{Guid.NewGuid():N}.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(64);
        _ = Accept();
    }

    public string Path { get; }

    public string Endpoint => "unix:" + Path;

    /// <summary>Scans that passed clamd more than <paramref name="bytes"/> are cut there, and clamd is unreachable from then on.</summary>
    public void CutAfter(long bytes)
    {
        _cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Exchange(ref _cutAfter, bytes);
    }

    /// <summary>Completes when a scan was cut.</summary>
    public Task Cut => _cut.Task;

    /// <summary>clamd reachable again, nothing cut.</summary>
    public void Up()
    {
        Interlocked.Exchange(ref _cutAfter, long.MaxValue);
        _down = false;
    }

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            if (_down)
            {
                client.Dispose(); // down: the connection is closed before clamd says anything
                continue;
            }
            _ = Relay(client);
        }
    }

    private async Task Relay(Socket client)
    {
        using var _ = client;
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await server.ConnectAsync(new UnixDomainSocketEndPoint(_target));
            using var relay = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = Pump(client, server, counted: true, relay);
            var down = Pump(server, client, counted: false, relay);
            await Task.WhenAny(up, down);
            await relay.CancelAsync();
        }
        catch (Exception)
        {
            // a relay that ends with its connection is the point of this class
        }
    }

    private async Task Pump(Socket from, Socket to, bool counted, CancellationTokenSource relay)
    {
        var buffer = new byte[64 * 1024];
        long passed = 0;
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, relay.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    await Task.Delay(Timeout.Infinite, relay.Token); // the other direction still carries clamd's answer
                    return;
                }
                passed += read;
                if (counted && passed > Interlocked.Read(ref _cutAfter))
                {
                    _down = true;
                    _cut.TrySetResult();
                    return; // both sockets are closed by the relay: the scan dies mid-stream
                }
                await to.SendAsync(buffer.AsMemory(0, read), relay.Token);
            }
        }
        catch (Exception)
        {
            // closed or cancelled
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        File.Delete(Path);
    }
}
