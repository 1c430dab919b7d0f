extern alias server;

using System.CommandLine;
using Spectre.Console;
using server::Symphony.Fhir.Server.Auth;

namespace Symphony.Cli.Auth;

/// <summary>
/// <c>symphony auth client add|list|remove</c> and <c>symphony auth user add|list|remove|hash-password</c>: clients and
/// users kept in the server's own database through the server's <see cref="AuthStore"/> and <see cref="SecretHash"/>
/// (no second copy of the schema or the hashing). The server reads the clients per token request, so an added or
/// removed client counts at once, without a restart.
/// </summary>
public static class AuthCommands
{
    static Option<string> ConnectionOption() => new("--connection")
    {
        Description = "The server's database: PostgreSQL connection string (Host=...) or SQLite file (default data/symphony.db)",
        DefaultValueFactory = _ => "data/symphony.db",
    };

    public static Command Create() => new("auth", "Clients and users of the built-in authorisation server") { Clients(), Users() };

    static Command Clients() => new("client", "Add, list and remove the clients stored in the server's database") { Add(), List(), Remove() };

    static Command Add()
    {
        var id = new Argument<string>("client-id") { Description = "The client_id the client sends" };
        var scopes = new Option<string>("--scopes") { Description = "Space-separated scopes it may ask for, e.g. \"system/*.rs\"", Required = true };
        var secret = new Option<string?>("--secret") { Description = "Its secret (kept hashed; prefer --generate-secret: a secret on a command line stays in shell history)" };
        var generate = new Option<bool>("--generate-secret") { Description = "Make a random secret and print it once" };
        var jwks = new Option<string?>("--jwks") { Description = "JWKS file of its assertion keys (SMART Backend Services)" };
        var jwksUrl = new Option<string?>("--jwks-url") { Description = "URL of its JWKS" };
        var redirectUris = new Option<string?>("--redirect-uris")
        {
            Description = "Space-separated redirect URIs for the authorization code flow (exact match); with no credential, a public client (PKCE)",
        };
        var connection = ConnectionOption();
        var command = new Command("add", "Store a client; a running server accepts it at once") { id, scopes, secret, generate, jwks, jwksUrl, redirectUris, connection };
        command.SetAction(async (parse, ct) =>
        {
            var clientId = parse.GetValue(id)!;
            var given = new[] { parse.GetValue(secret) is { Length: > 0 }, parse.GetValue(generate), parse.GetValue(jwks) is { Length: > 0 }, parse.GetValue(jwksUrl) is { Length: > 0 } };
            var redirects = parse.GetValue(redirectUris) is { Length: > 0 } r ? string.Join(' ', r.Split(' ', StringSplitOptions.RemoveEmptyEntries)) : null;
            if (given.Count(g => g) > 1 || given.Count(g => g) == 0 && redirects is null)
                return Fail(parse, "give exactly one of --secret, --generate-secret, --jwks or --jwks-url, or only --redirect-uris for a public client");
            if (AuthOptions.RedirectUriProblem(redirects) is { } redirectProblem)
                return Fail(parse, $"--redirect-uris: {redirectProblem}");
            var scopeText = parse.GetValue(scopes)!;
            if (SmartScope.ParseAll(scopeText).Problem is { } problem)
                return Fail(parse, $"--scopes: {problem}");
            var store = AuthStore.Open(parse.GetValue(connection)!);
            if (given.All(g => !g))
            {
                if (!await store.AddPublicClientAsync(clientId, scopeText, redirects!, ct))
                    return Fail(parse, $"a client '{clientId}' is already stored; remove it first");
                parse.InvocationConfiguration.Output.WriteLine($"added public client {clientId} ({scopeText}; redirect URIs {redirects})");
                return 0;
            }
            if (parse.GetValue(jwks) is { Length: > 0 } || parse.GetValue(jwksUrl) is { Length: > 0 })
            {
                string? keySet = null;
                if (parse.GetValue(jwks) is { Length: > 0 } file)
                {
                    keySet = File.Exists(file) ? await File.ReadAllTextAsync(file, ct) : null;
                    if (keySet is null || ClientKeys.Parse(keySet) is null)
                        return Fail(parse, $"--jwks: {file} is not a JSON Web Key Set with at least one signing key");
                }
                var url = parse.GetValue(jwksUrl);
                if (url is { Length: > 0 } && !Uri.TryCreate(url, UriKind.Absolute, out _))
                    return Fail(parse, $"--jwks-url: '{url}' is not an absolute URL");
                if (!await store.AddKeyClientAsync(clientId, scopeText, keySet, url is { Length: > 0 } ? url : null, ct))
                    return Fail(parse, $"a client '{clientId}' is already stored; remove it first");
                if (redirects is not null)
                    await store.SetRedirectUrisAsync(clientId, redirects, ct);
                parse.InvocationConfiguration.Output.WriteLine($"added client {clientId} ({scopeText}, {(keySet is null ? "jwks-url" : "jwks")})");
                return 0;
            }
            var value = parse.GetValue(generate) ? SecretHash.NewSecret() : parse.GetValue(secret)!;
            if (!await store.AddClientAsync(clientId, value, scopeText, ct))
                return Fail(parse, $"a client '{clientId}' is already stored; remove it first");
            if (redirects is not null)
                await store.SetRedirectUrisAsync(clientId, redirects, ct);
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
            var table = new Table().AddColumns("Client", "Scopes", "Credential", "Redirect URIs", "Created");
            foreach (var client in await AuthStore.Open(parse.GetValue(connection)!).ListClientsAsync(ct))
                table.AddRow(Markup.Escape(client.ClientId), Markup.Escape(client.Scopes), client.CredentialKind, Markup.Escape(client.RedirectUris ?? ""), Markup.Escape(client.CreatedAt));
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

    static Command Users() => new("user", "Add, list and remove the users of the login page stored in the server's database")
    {
        AddUser(), ListUsers(), RemoveUser(), HashPassword(),
    };

    static Option<bool> PasswordStdinOption() => new("--password-stdin")
    {
        Description = "Read the password from standard input (first line) instead of asking for it",
    };

    static Command AddUser()
    {
        var name = new Argument<string>("username");
        var fhirUser = new Option<string>("--fhir-user") { Description = "The FHIR resource the user is, e.g. Practitioner/123", Required = true };
        var scopes = new Option<string>("--scopes") { Description = "Space-separated scopes the user may grant, e.g. \"user/*.rs\"", Required = true };
        var stdin = PasswordStdinOption();
        var connection = ConnectionOption();
        var command = new Command("add", "Store a user with a hashed password") { name, fhirUser, scopes, stdin, connection };
        command.SetAction(async (parse, ct) =>
        {
            var userName = parse.GetValue(name)!;
            if (UserOptions.FhirUserProblem(parse.GetValue(fhirUser)) is { } fhirProblem)
                return Fail(parse, $"--fhir-user: {fhirProblem}");
            if (SmartScope.ParseAll(parse.GetValue(scopes)).Problem is { } problem)
                return Fail(parse, $"--scopes: {problem}");
            if (ReadPassword(parse.GetValue(stdin)) is not { } password)
                return Fail(parse, "no password (give it on standard input with --password-stdin, or type it at the prompt)");
            if (!await AuthStore.Open(parse.GetValue(connection)!).AddUserAsync(userName, password, parse.GetValue(fhirUser)!, parse.GetValue(scopes)!, ct))
                return Fail(parse, $"a user '{userName}' is already stored; remove it first");
            parse.InvocationConfiguration.Output.WriteLine($"added user {userName} ({parse.GetValue(fhirUser)}, {parse.GetValue(scopes)})");
            return 0;
        });
        return command;
    }

    static Command ListUsers()
    {
        var connection = ConnectionOption();
        var command = new Command("list", "The stored users: name, fhirUser, scopes (never a password or its hash)") { connection };
        command.SetAction(async (parse, ct) =>
        {
            var table = new Table().AddColumns("User", "fhirUser", "Scopes", "Created");
            foreach (var user in await AuthStore.Open(parse.GetValue(connection)!).ListUsersAsync(ct))
                table.AddRow(Markup.Escape(user.UserName), Markup.Escape(user.FhirUser), Markup.Escape(user.Scopes), Markup.Escape(user.CreatedAt));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    static Command RemoveUser()
    {
        var name = new Argument<string>("username");
        var connection = ConnectionOption();
        var command = new Command("remove", "Delete a stored user") { name, connection };
        command.SetAction(async (parse, ct) =>
        {
            var userName = parse.GetValue(name)!;
            if (!await AuthStore.Open(parse.GetValue(connection)!).RemoveUserAsync(userName, ct))
                return Fail(parse, $"no user '{userName}' is stored (users of configuration are removed from configuration)");
            parse.InvocationConfiguration.Output.WriteLine($"removed user {userName}");
            return 0;
        });
        return command;
    }

    static Command HashPassword()
    {
        var stdin = PasswordStdinOption();
        var command = new Command("hash-password", "Print a PasswordHash for Auth:Users:{i}:PasswordHash (PBKDF2-SHA256, as the stored users')") { stdin };
        command.SetAction(parse =>
        {
            if (ReadPassword(parse.GetValue(stdin)) is not { } password)
                return Fail(parse, "no password (give it on standard input with --password-stdin, or type it at the prompt)");
            parse.InvocationConfiguration.Output.WriteLine(SecretHash.Of(password));
            return 0;
        });
        return command;
    }

    /// <summary>The password from standard input's first line, or typed at a prompt that does not echo it; never from an argument (shell history).</summary>
    static string? ReadPassword(bool fromStdin)
    {
        // With input redirected there is no one to prompt: the first line is the password, as with --password-stdin.
        var password = fromStdin || Console.IsInputRedirected
            ? Console.In.ReadLine()
            : AnsiConsole.Prompt(new TextPrompt<string>("Password:").Secret().AllowEmpty());
        return string.IsNullOrEmpty(password) ? null : password;
    }

    static int Fail(ParseResult parse, string message)
    {
        parse.InvocationConfiguration.Error.WriteLine($"error: {message}");
        return 1;
    }
}
