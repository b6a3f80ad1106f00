using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Inlet.BuildingBlocks.Scanning;
using Microsoft.Extensions.Options;
using Xunit;

namespace Inlet.Ingestion.Tests;

/// <summary>
/// ClamdClient's side of clamd's INSTREAM protocol, against a stand-in clamd on a unix socket that answers as clamd(8)
/// does; the real clamd is scanned against in Inlet.Tests (MalwareScanningTests).
/// </summary>
public sealed class ClamdClientTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("clamd-fake-").FullName;

    private string Socket => Path.Combine(_dir, "clamd.sock");

    private ClamdClient Client() => new(Options.Create(new ScanningOptions { Endpoint = "unix:" + Socket, Timeout = TimeSpan.FromSeconds(10) }));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Takes one INSTREAM; after <paramref name="stopAfter"/> bytes (if given) says the stream is too long and hangs up, as clamd does past StreamMaxLength.</summary>
    private async Task<byte[]> FakeClamd(Socket listener, string answer, long? stopAfter = null)
    {
        using var connection = await listener.AcceptAsync();
        await using var stream = new NetworkStream(connection, ownsSocket: false);
        var command = new byte[10];
        await stream.ReadExactlyAsync(command);
        Assert.Equal("zINSTREAM\0", Encoding.ASCII.GetString(command));
        var received = new MemoryStream();
        var length = new byte[4];
        while (true)
        {
            if (received.Length >= stopAfter)
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("INSTREAM size limit exceeded. ERROR\0"));
                connection.Shutdown(SocketShutdown.Both);
                return received.ToArray();
            }
            await stream.ReadExactlyAsync(length);
            var n = BinaryPrimitives.ReadUInt32BigEndian(length);
            if (n == 0)
                break;
            var chunk = new byte[n];
            await stream.ReadExactlyAsync(chunk);
            received.Write(chunk);
        }
        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer + "\0"));
        return received.ToArray();
    }

    private Socket Listen()
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(Socket));
        listener.Listen();
        return listener;
    }

    [Theory]
    [InlineData("stream: OK", null)]
    [InlineData("stream: Eicar-Test-Signature FOUND", "Eicar-Test-Signature")]
    [InlineData("INSTREAM size limit exceeded. ERROR", "Heuristics.Limits.Exceeded.StreamMaxLength")]
    public void Answers_are_read_as_clean_or_the_signature_that_blocks(string answer, string? signature) =>
        Assert.Equal(signature, ClamdClient.Parse(answer).Signature);

    [Fact]
    public void An_error_answer_is_no_verdict() =>
        Assert.Throws<ScannerUnavailableException>(() => ClamdClient.Parse("stream: Can't allocate memory ERROR"));

    [Fact]
    public async Task Every_byte_reaches_clamd_in_chunks_and_the_MD5_is_computed_from_the_same_read()
    {
        using var listener = Listen();
        var bytes = new byte[300_000 + 17];
        new Random(23).NextBytes(bytes);
        var server = FakeClamd(listener, "stream: OK");
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);

        var verdict = await Client().Scan(new MemoryStream(bytes), md5, CancellationToken.None);

        Assert.True(verdict.Clean);
        Assert.Equal(bytes, await server);
        Assert.Equal(MD5.HashData(bytes), md5.GetHashAndReset());
    }

    [Fact]
    public async Task A_stream_clamd_stops_taking_as_too_long_is_blocked_not_retried()
    {
        using var listener = Listen();
        var server = FakeClamd(listener, "stream: OK", stopAfter: 1024 * 1024);

        // 32 MiB: far more than the socket buffers hold, so the client is still sending when clamd hangs up.
        var verdict = await Client().Scan(new MemoryStream(new byte[32 * 1024 * 1024]), null, CancellationToken.None);

        await server;
        Assert.Equal("Heuristics.Limits.Exceeded.StreamMaxLength", verdict.Signature);
    }

    [Fact]
    public async Task No_clamd_is_no_verdict_and_readiness_is_told_why()
    {
        var client = Client();
        var e = await Assert.ThrowsAsync<ScannerUnavailableException>(() => client.Scan(new MemoryStream([1, 2, 3]), null, CancellationToken.None));
        Assert.Contains("not reachable", e.Message);
        Assert.Contains("not reachable", client.LastFailure);
    }
}
