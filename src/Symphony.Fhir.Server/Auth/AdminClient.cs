using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// Secure by default: the first start of a server with no client in its database makes an admin client with a random
/// secret and writes its credentials to admin-client.json in the data folder (mode 0600). The path is logged; the secret never is.
/// </summary>
public sealed class AdminClient(
    AuthStore store, IOptions<AuthOptions> options, ServerOptions server, IServer http, IHostApplicationLifetime lifetime,
    ILogger<AdminClient> logger) : IHostedService
{
    public const string ClientId = "admin";
    public const string Scopes = "system/*.cruds";
    public const string FileName = "admin-client.json";

    public string FilePath => options.Value.AdminClientFile is { Length: > 0 } path
        ? Path.GetFullPath(path)
        : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(server.SqlitePath))!, FileName);

    public System.Threading.Tasks.Task StartAsync(CancellationToken cancellationToken)
    {
        // After the server has started, so that the file names the address it listens on.
        lifetime.ApplicationStarted.Register(() => _ = System.Threading.Tasks.Task.Run(CreateAsync));
        return System.Threading.Tasks.Task.CompletedTask;
    }

    public System.Threading.Tasks.Task StopAsync(CancellationToken cancellationToken) => System.Threading.Tasks.Task.CompletedTask;

    async System.Threading.Tasks.Task CreateAsync()
    {
        try
        {
            if (await store.HasClientsAsync())
                return;
            var secret = SecretHash.NewSecret();
            if (!await store.AddClientAsync(ClientId, secret, Scopes))
                return; // another process made it first
            var baseUrl = options.Value.BaseUrl?.TrimEnd('/') ?? ListeningUrl();
            var json = JsonSerializer.Serialize(new Dictionary<string, string>
            {
                ["client_id"] = ClientId,
                ["client_secret"] = secret,
                ["token_endpoint"] = baseUrl + TokenServer.TokenPath,
                ["scope"] = Scopes,
            }, new JsonSerializerOptions { WriteIndented = true });
            var path = FilePath;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var file = new FileStream(path, fileOptions))
            await using (var writer = new StreamWriter(file))
                await writer.WriteAsync(json);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            logger.LogWarning("Created the admin client; its credentials are in {Path} (readable by this user only)", path);
        }
        catch (Exception exception)
        {
            logger.LogError(exception, "Could not create the admin client");
        }
    }

    string ListeningUrl()
    {
        var address = http.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost";
        return address.Replace("://[::]", "://localhost").Replace("://0.0.0.0", "://localhost").Replace("://+", "://localhost").Replace("://*", "://localhost").TrimEnd('/');
    }
}
