using System.Net.Sockets;
using System.Text;

namespace Symphony.Fhir.Server.Tests.Api;

/// <summary>
/// HTTP/1.1 over a bare socket, for what HttpClient will not do: send a request slowly, stop half-way, claim a length
/// it never sends. Reads one response: status, and body (Content-Length or chunked), or what came before the server
/// closed the connection.
/// </summary>
public sealed class RawHttp : IAsyncDisposable
{
    private readonly TcpClient _tcp = new();
    private NetworkStream _stream = null!;

    public static async Task<RawHttp> ConnectAsync(Uri baseAddress)
    {
        var raw = new RawHttp();
        await raw._tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        raw._stream = raw._tcp.GetStream();
        return raw;
    }

    /// <summary>Sends the bytes; false once the server has closed the connection, or stopped reading for 30 s.</summary>
    public async Task<bool> SendAsync(string text) => await SendAsync(Encoding.UTF8.GetBytes(text));

    public async Task<bool> SendAsync(byte[] bytes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _stream.WriteAsync(bytes, timeout.Token);
            return true;
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The response, once complete or once the server closes the connection (status 0 if nothing came).</summary>
    public async Task<(int Status, string Head, string Body)> ReadResponseAsync(CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[65536];
        while (true)
        {
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, ct);
            }
            catch (IOException)
            {
                read = 0;
            }
            received.Write(buffer, 0, read);
            var response = Parse(received.ToArray(), closed: read == 0);
            if (response is not null)
                return response.Value;
        }
    }

    /// <summary>The response if complete (or, once closed, whatever came); null while more is to come.</summary>
    private static (int, string, string)? Parse(byte[] bytes, bool closed)
    {
        var end = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
        if (end < 0)
            return closed ? (0, Encoding.ASCII.GetString(bytes), "") : null;
        var head = Encoding.ASCII.GetString(bytes, 0, end);
        var rest = bytes.AsSpan(end + 4);
        var status = int.Parse(head.Split(' ')[1]);
        var lines = head.Split("\r\n");
        var length = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        byte[]? body = null;
        if (length is not null)
        {
            var count = int.Parse(length.Split(':')[1].Trim());
            if (rest.Length >= count)
                body = rest[..count].ToArray();
        }
        else if (lines.Any(l => l.Equals("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase)))
        {
            body = Dechunk(rest);
        }
        if (body is null && !closed)
            return null;
        return (status, head, Encoding.UTF8.GetString(body ?? rest.ToArray()));
    }

    /// <summary>The body of a complete chunked message, or null if the last chunk has not come yet.</summary>
    private static byte[]? Dechunk(ReadOnlySpan<byte> chunked)
    {
        var body = new MemoryStream();
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n"u8);
            if (lineEnd < 0)
                return null;
            var size = Convert.ToInt32(Encoding.ASCII.GetString(chunked[..lineEnd]), 16);
            if (size == 0)
                return body.ToArray();
            if (chunked.Length < lineEnd + 2 + size + 2)
                return null;
            body.Write(chunked.Slice(lineEnd + 2, size));
            chunked = chunked[(lineEnd + 2 + size + 2)..];
        }
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
