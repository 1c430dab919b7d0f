using System.Data.Common;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// What the built-in authorisation server keeps in the server's own database, so that every api process shares it and
/// it survives a restart: its keys, the admin client and the clients and users added by <c>symphony auth</c>, and the client assertion ids (jti) already used. The tables are
/// created at start (<c>IF NOT EXISTS</c>) apart from the resource schema's migrations.
/// </summary>
public sealed class AuthStore(ServerOptions server, IServiceProvider services)
{
    const string Schema = """
        CREATE TABLE IF NOT EXISTS auth_secret (name text PRIMARY KEY, value text NOT NULL, created_at text NOT NULL);
        CREATE TABLE IF NOT EXISTS auth_client (client_id text PRIMARY KEY, secret_hash text NOT NULL, scopes text NOT NULL, created_at text NOT NULL);
        CREATE TABLE IF NOT EXISTS auth_client_key (client_id text PRIMARY KEY, jwks text, jwks_url text);
        CREATE TABLE IF NOT EXISTS auth_user (user_name text PRIMARY KEY, password_hash text NOT NULL, fhir_user text NOT NULL, scopes text NOT NULL, created_at text NOT NULL);
        CREATE TABLE IF NOT EXISTS auth_client_redirect (client_id text PRIMARY KEY, redirect_uris text NOT NULL);
        CREATE TABLE IF NOT EXISTS auth_assertion (jti text PRIMARY KEY, expires_at text NOT NULL);
        """;

    readonly SemaphoreSlim _schemaGate = new(1, 1);
    volatile bool _created;

    /// <summary>
    /// The store of a server's database outside the server (the CLI): a PostgreSQL connection string (Host=...) or a SQLite file.
    /// </summary>
    public static AuthStore Open(string connection)
    {
        if (connection.Contains("Host=", StringComparison.OrdinalIgnoreCase))
        {
            var services = new ServiceCollection().AddSingleton(_ => NpgsqlDataSource.Create(connection)).BuildServiceProvider();
            return new AuthStore(new ServerOptions(ServerRole.Api, StorageProvider.Postgres, "", connection), services);
        }
        var path = connection.StartsWith("Data Source=", StringComparison.OrdinalIgnoreCase)
            ? new SqliteConnectionStringBuilder(connection).DataSource
            : connection;
        return new AuthStore(new ServerOptions(ServerRole.Api, StorageProvider.Sqlite, path, null), new ServiceCollection().BuildServiceProvider());
    }

    async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        DbConnection connection = server.Provider == StorageProvider.Postgres
            ? services.GetRequiredService<NpgsqlDataSource>().CreateConnection()
            : new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = server.SqlitePath, DefaultTimeout = 30 }.ToString());
        if (connection is SqliteConnection)
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(server.SqlitePath))!);
        await connection.OpenAsync(ct);
        if (!_created)
        {
            await _schemaGate.WaitAsync(ct);
            try
            {
                if (!_created)
                {
                    await ExecuteAsync(connection, Schema, ct);
                    _created = true;
                }
            }
            finally
            {
                _schemaGate.Release();
            }
        }
        return connection;
    }

    /// <summary>The secret named <paramref name="name"/>, made by <paramref name="create"/> the first time; the first process to store it wins.</summary>
    public async Task<string> SecretAsync(string name, Func<string> create, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, "INSERT INTO auth_secret (name, value, created_at) VALUES (@a, @b, @c) ON CONFLICT (name) DO NOTHING", ct,
            name, create(), Now());
        await using var command = Command(connection, "SELECT value FROM auth_secret WHERE name = @a", name);
        return (string)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Stores a client with a hashed secret unless one of that id exists; false if it did.</summary>
    public async Task<bool> AddClientAsync(string clientId, string secret, string scopes, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecuteAsync(connection,
            "INSERT INTO auth_client (client_id, secret_hash, scopes, created_at) VALUES (@a, @b, @c, @d) ON CONFLICT (client_id) DO NOTHING", ct,
            clientId, SecretHash.Of(secret), scopes, Now()) == 1;
    }

    /// <summary>
    /// Stores a public client (no secret: an app in a browser or on a device, which must use PKCE) with its redirect URIs
    /// unless one of that id exists; false if it did. Its secret_hash is empty, which no secret matches.
    /// </summary>
    public async Task<bool> AddPublicClientAsync(string clientId, string scopes, string redirectUris, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await ExecuteAsync(transaction, "INSERT INTO auth_client (client_id, secret_hash, scopes, created_at) VALUES (@a, '', @b, @c) ON CONFLICT (client_id) DO NOTHING", ct,
                clientId, scopes, Now()) != 1)
            return false;
        await SetRedirectUrisAsync(transaction, clientId, redirectUris, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// The redirect URIs of a stored client (a confidential client's for the authorisation code flow), in auth_client_redirect
    /// beside its auth_client row, so databases made before it keep their auth_client.
    /// </summary>
    public async Task SetRedirectUrisAsync(string clientId, string redirectUris, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await SetRedirectUrisAsync(transaction, clientId, redirectUris, ct);
        await transaction.CommitAsync(ct);
    }

    static async Task SetRedirectUrisAsync(DbTransaction transaction, string clientId, string redirectUris, CancellationToken ct)
    {
        await ExecuteAsync(transaction, "DELETE FROM auth_client_redirect WHERE client_id = @a", ct, clientId);
        await ExecuteAsync(transaction, "INSERT INTO auth_client_redirect (client_id, redirect_uris) VALUES (@a, @b)", ct, clientId, redirectUris);
    }

    /// <summary>
    /// Stores a SMART Backend Services client (an inline JWKS or a JWKS URL) unless one of that id exists; false if it did.
    /// Its keys are in auth_client_key (a table of its own, so databases made before it keep their auth_client); its
    /// secret_hash is empty, which no secret matches.
    /// </summary>
    public async Task<bool> AddKeyClientAsync(string clientId, string scopes, string? jwks, string? jwksUrl, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await ExecuteAsync(transaction, "INSERT INTO auth_client (client_id, secret_hash, scopes, created_at) VALUES (@a, '', @b, @c) ON CONFLICT (client_id) DO NOTHING", ct,
                clientId, scopes, Now()) != 1)
            return false;
        await ExecuteAsync(transaction, "DELETE FROM auth_client_key WHERE client_id = @a", ct, clientId);
        await ExecuteAsync(transaction, "INSERT INTO auth_client_key (client_id, jwks, jwks_url) VALUES (@a, @b, @c)", ct,
            clientId, (object?)jwks ?? DBNull.Value, (object?)jwksUrl ?? DBNull.Value);
        await transaction.CommitAsync(ct);
        return true;
    }

    public async Task<StoredClient?> FindClientAsync(string clientId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, $"{ClientQuery} WHERE c.client_id = @a", clientId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadClient(reader) : null;
    }

    const string ClientQuery = """
        SELECT c.client_id, c.secret_hash, c.scopes, c.created_at, k.jwks, k.jwks_url, r.redirect_uris
        FROM auth_client c LEFT JOIN auth_client_key k ON k.client_id = c.client_id LEFT JOIN auth_client_redirect r ON r.client_id = c.client_id
        """;

    static StoredClient ReadClient(DbDataReader reader) => new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6));

    /// <summary>The stored clients, by id.</summary>
    public async Task<IReadOnlyList<StoredClient>> ListClientsAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, $"{ClientQuery} ORDER BY c.client_id");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var clients = new List<StoredClient>();
        while (await reader.ReadAsync(ct))
            clients.Add(ReadClient(reader));
        return clients;
    }

    /// <summary>Deletes a stored client; false if there was none of that id. Its next token request fails (clients are read per request).</summary>
    public async Task<bool> RemoveClientAsync(string clientId, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ExecuteAsync(transaction, "DELETE FROM auth_client_key WHERE client_id = @a", ct, clientId);
        await ExecuteAsync(transaction, "DELETE FROM auth_client_redirect WHERE client_id = @a", ct, clientId);
        var removed = await ExecuteAsync(transaction, "DELETE FROM auth_client WHERE client_id = @a", ct, clientId) == 1;
        await transaction.CommitAsync(ct);
        return removed;
    }

    /// <summary>Stores a user (for the login page) with a hashed password unless one of that name exists; false if it did.</summary>
    public async Task<bool> AddUserAsync(string userName, string password, string fhirUser, string scopes, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecuteAsync(connection,
            "INSERT INTO auth_user (user_name, password_hash, fhir_user, scopes, created_at) VALUES (@a, @b, @c, @d, @e) ON CONFLICT (user_name) DO NOTHING", ct,
            userName, SecretHash.Of(password), fhirUser, scopes, Now()) == 1;
    }

    /// <summary>The stored users, by name: never their passwords' hashes.</summary>
    public async Task<IReadOnlyList<(string UserName, string FhirUser, string Scopes, string CreatedAt)>> ListUsersAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "SELECT user_name, fhir_user, scopes, created_at FROM auth_user ORDER BY user_name");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var users = new List<(string, string, string, string)>();
        while (await reader.ReadAsync(ct))
            users.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        return users;
    }

    /// <summary>A stored user with the hash of their password, for the login page; null if none has that name.</summary>
    public async Task<UserOptions?> FindUserAsync(string userName, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "SELECT user_name, password_hash, fhir_user, scopes FROM auth_user WHERE user_name = @a", userName);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct)
            ? new UserOptions { UserName = reader.GetString(0), PasswordHash = reader.GetString(1), FhirUser = reader.GetString(2), Scopes = reader.GetString(3) }
            : null;
    }

    public async Task<bool> RemoveUserAsync(string userName, CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        return await ExecuteAsync(connection, "DELETE FROM auth_user WHERE user_name = @a", ct, userName) == 1;
    }

    public async Task<bool> HasClientsAsync(CancellationToken ct = default)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = Command(connection, "SELECT count(*) FROM auth_client");
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct)) > 0;
    }

    /// <summary>Records a client assertion's id until it expires; false when it was seen before (a replay).</summary>
    public Task<bool> UseAssertionAsync(string clientId, string jti, DateTimeOffset expires, CancellationToken ct = default) =>
        UseOnceAsync($"{clientId}\n{jti}", expires, ct);

    /// <summary>
    /// Records an authorisation code or refresh token (by its SHA-256) as spent until it expires; false when it was spent
    /// before. OpenIddict's stateless mode keeps no token entries, so this table is what makes them single-use.
    /// </summary>
    public Task<bool> UseTokenAsync(string token, DateTimeOffset expires, CancellationToken ct = default) =>
        UseOnceAsync("token\n" + Convert.ToBase64String(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token))), expires, ct);

    /// <summary>Records <paramref name="key"/> until it expires in auth_assertion; false when it was recorded before (a replay).</summary>
    async Task<bool> UseOnceAsync(string key, DateTimeOffset expires, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await ExecuteAsync(connection, "DELETE FROM auth_assertion WHERE expires_at < @a", ct, Now());
        return await ExecuteAsync(connection, "INSERT INTO auth_assertion (jti, expires_at) VALUES (@a, @b) ON CONFLICT (jti) DO NOTHING", ct,
            key, expires.UtcDateTime.ToString("O")) == 1;
    }

    static string Now() => DateTimeOffset.UtcNow.UtcDateTime.ToString("O");

    static DbCommand Command(DbConnection connection, string sql, params object[] values)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + (char)('a' + i);
            parameter.Value = values[i];
            command.Parameters.Add(parameter);
        }
        return command;
    }

    static async Task<int> ExecuteAsync(DbConnection connection, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = Command(connection, sql, values);
        return await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>In <paramref name="transaction"/> (SQLite will not run a command outside the connection's open transaction).</summary>
    static async Task<int> ExecuteAsync(DbTransaction transaction, string sql, CancellationToken ct, params object[] values)
    {
        await using var command = Command(transaction.Connection!, sql, values);
        command.Transaction = transaction;
        return await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>A client of the auth_client table: a secret's hash, or (SMART Backend Services) an inline JWKS or a JWKS URL.</summary>
public sealed record StoredClient(string ClientId, string SecretHash, string Scopes, string CreatedAt, string? Jwks, string? JwksUrl, string? RedirectUris = null)
{
    public bool HasKeys => Jwks is { Length: > 0 } || JwksUrl is { Length: > 0 };

    /// <summary>No secret and no keys: an app that cannot keep a secret (it must use PKCE).</summary>
    public bool IsPublic => !HasKeys && SecretHash.Length == 0;

    /// <summary>How it proves who it is, for listings: never the secret or its hash.</summary>
    public string CredentialKind => Jwks is { Length: > 0 } ? "jwks" : JwksUrl is { Length: > 0 } ? "jwks-url" : IsPublic ? "public" : "secret";
}

/// <summary>
/// PBKDF2-SHA256 (<see cref="Rfc2898DeriveBytes"/>, 100 000 iterations, 16-byte salt) hashes of client secrets and user
/// passwords, as "iterations.salt.hash" (base64): the stored form and the <c>Auth:Users:{i}:PasswordHash</c> form.
/// </summary>
public static class SecretHash
{
    const int Iterations = 100_000;

    /// <summary>A new random secret (256 bits, base64url), for the admin client and <c>symphony auth client add --generate-secret</c>.</summary>
    public static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Of(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(secret, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"{Iterations}.{Convert.ToBase64String(salt)}.{Convert.ToBase64String(hash)}";
    }

    /// <summary>Whether <paramref name="stored"/> has the form <see cref="Of"/> makes (a password given where its hash is asked for has not).</summary>
    public static bool IsHash(string? stored) =>
        stored?.Split('.') is [var iterations, var salt, var hash] && int.TryParse(iterations, out var n) && n > 0
        && IsBase64(salt) && IsBase64(hash);

    static bool IsBase64(string text) => text.Length > 0 && Convert.TryFromBase64String(text, new byte[text.Length], out _);

    public static bool Matches(string secret, string stored)
    {
        var parts = stored.Split('.');
        if (parts.Length != 3 || !int.TryParse(parts[0], out var iterations))
            return false;
        var expected = Convert.FromBase64String(parts[2]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(secret, Convert.FromBase64String(parts[1]), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
