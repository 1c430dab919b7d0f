extern alias server;

using System.CommandLine;
using Spectre.Console;
using server::Symphony.Fhir.Server.Auth;

namespace Symphony.Cli.Auth;

/// <summary>
/// <c>symphony auth client add|list|remove</c>: clients kept in the server's own database (table auth_client, the
/// server's <see cref="AuthStore"/> and its hashing), so a running server accepts or refuses them at the next token
/// request: it reads the table per request.
/// </summary>
public static class AuthCommands
{
    static Option<string> ConnectionOption() => new("--connection")
    {
        Description = "The server's database: PostgreSQL connection string (Host=...) or SQLite file (default data/symphony.db)",
        DefaultValueFactory = _ => "data/symphony.db",
    };

    public static Command Create() => new("auth", "Clients of the built-in authorisation server") { Clients() };

    static Command Clients() => new("client", "Add, list and remove the clients stored in the server's database") { Add(), List(), Remove() };

    static Command Add()
    {
        var id = new Argument<string>("client-id") { Description = "The client_id the client sends" };
        var scopes = new Option<string>("--scopes") { Description = "Space-separated scopes it may ask for, e.g. \"system/*.rs\"", Required = true };
        var secret = new Option<string?>("--secret") { Description = "Its secret (kept hashed; prefer --generate-secret: a secret on a command line stays in shell history)" };
        var generate = new Option<bool>("--generate-secret") { Description = "Make a random secret and print it once" };
        var jwks = new Option<string?>("--jwks") { Description = "JWKS file of its assertion keys (SMART Backend Services)" };
        var jwksUrl = new Option<string?>("--jwks-url") { Description = "URL of its JWKS" };
        var connection = ConnectionOption();
        var command = new Command("add", "Store a client; a running server accepts it at once") { id, scopes, secret, generate, jwks, jwksUrl, connection };
        command.SetAction(async (parse, ct) =>
        {
            var clientId = parse.GetValue(id)!;
            var given = new[] { parse.GetValue(secret) is { Length: > 0 }, parse.GetValue(generate), parse.GetValue(jwks) is { Length: > 0 }, parse.GetValue(jwksUrl) is { Length: > 0 } };
            if (given.Count(g => g) != 1)
                return Fail(parse, "give exactly one of --secret, --generate-secret, --jwks or --jwks-url");
            if (parse.GetValue(jwks) is { Length: > 0 } || parse.GetValue(jwksUrl) is { Length: > 0 })
                return Fail(parse, "clients with keys (JWKS) are registered by configuration for now: Auth:Clients:{i}:ClientId|Scopes|Jwks|JwksUrl (docs/auth.md)");
            var scopeText = parse.GetValue(scopes)!;
            if (SmartScope.ParseAll(scopeText).Problem is { } problem)
                return Fail(parse, $"--scopes: {problem}");
            var value = parse.GetValue(generate) ? SecretHash.NewSecret() : parse.GetValue(secret)!;
            if (!await AuthStore.Open(parse.GetValue(connection)!).AddClientAsync(clientId, value, scopeText, ct))
                return Fail(parse, $"a client '{clientId}' is already stored; remove it first");
            parse.InvocationConfiguration.Output.WriteLine($"added client {clientId} ({scopeText})");
            if (parse.GetValue(generate))
                parse.InvocationConfiguration.Output.WriteLine($"client_secret: {value}"); // printed once on purpose; only its hash is stored
            return 0;
        });
        return command;
    }

    static Command List()
    {
        var connection = ConnectionOption();
        var command = new Command("list", "The stored clients: id, scopes, credential kind (never a secret)") { connection };
        command.SetAction(async (parse, ct) =>
        {
            var table = new Table().AddColumns("Client", "Scopes", "Credential", "Created");
            foreach (var client in await AuthStore.Open(parse.GetValue(connection)!).ListClientsAsync(ct))
                table.AddRow(Markup.Escape(client.ClientId), Markup.Escape(client.Scopes), "secret", Markup.Escape(client.CreatedAt));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    static Command Remove()
    {
        var id = new Argument<string>("client-id");
        var connection = ConnectionOption();
        var command = new Command("remove", "Delete a stored client; its next token request fails (tokens it holds stay valid until they expire)") { id, connection };
        command.SetAction(async (parse, ct) =>
        {
            var clientId = parse.GetValue(id)!;
            if (!await AuthStore.Open(parse.GetValue(connection)!).RemoveClientAsync(clientId, ct))
                return Fail(parse, $"no client '{clientId}' is stored (clients of configuration are removed from configuration)");
            parse.InvocationConfiguration.Output.WriteLine($"removed client {clientId}");
            return 0;
        });
        return command;
    }

    static int Fail(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine($"error: {message}");
        return 1;
    }
}
