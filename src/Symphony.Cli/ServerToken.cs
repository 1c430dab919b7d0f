using System.Net.Http.Headers;
using System.Text.Json;

namespace Symphony.Cli;

/// <summary>
/// The access token the commands that talk to a running server send: <c>SYMPHONY_TOKEN</c> as given, else one asked with
/// the client file <c>SYMPHONY_CLIENT_FILE</c> names (the server's admin-client.json or one like it: client_credentials).
/// Neither set: no token (a server with Auth:Mode=none).
/// </summary>
public static class ServerToken
{
    public const string TokenVariable = "SYMPHONY_TOKEN";
    public const string ClientFileVariable = "SYMPHONY_CLIENT_FILE";

    public static async Task AuthorizeAsync(HttpClient client, Uri baseUrl, CancellationToken ct = default)
    {
        var token = Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrEmpty(token) && Environment.GetEnvironmentVariable(ClientFileVariable) is { Length: > 0 } file)
        {
            var credentials = JsonDocument.Parse(await File.ReadAllTextAsync(file, ct)).RootElement;
            using var tokenClient = new HttpClient();
            using var response = await tokenClient.PostAsync(new Uri(new Uri(baseUrl.ToString().TrimEnd('/') + "/"), "auth/token"),
                new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = credentials.GetProperty("client_id").GetString()!,
                    ["client_secret"] = credentials.GetProperty("client_secret").GetString()!,
                }), ct);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"The server's token endpoint refused the client in {file} ({(int)response.StatusCode}).");
            token = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("access_token").GetString();
        }
        if (!string.IsNullOrEmpty(token))
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }
}
