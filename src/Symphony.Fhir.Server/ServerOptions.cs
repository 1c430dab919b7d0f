namespace Symphony.Fhir.Server;

/// <summary>Which parts of the product a process runs: `--role api` (HTTP only), `--role worker` (coding jobs only) or both (default).</summary>
public enum ServerRole
{
    Both,
    Api,
    Worker,
}

/// <summary>Where resources, coding requests and terminology are kept: an embedded SQLite file (default) or PostgreSQL.</summary>
public enum StorageProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The process's role and storage (settings <c>role</c>, <c>Storage:Provider</c>, <c>Storage:SqlitePath</c>,
/// <c>ConnectionStrings:Postgres</c>), read and checked once. Program decides its registrations from them before
/// the host is built, so they come from the builder's configuration (<see cref="From"/>); later readers take the
/// same instance from DI.
/// </summary>
public sealed record ServerOptions(ServerRole Role, StorageProvider Provider, string SqlitePath, string? PostgresConnectionString)
{
    public const string RoleSetting = "role";
    public const string ProviderSetting = "Storage:Provider";
    public const string SqlitePathSetting = "Storage:SqlitePath";
    public const string PostgresSetting = "ConnectionStrings:Postgres";

    public bool RunsApi => Role is ServerRole.Both or ServerRole.Api;

    public bool RunsWorker => Role is ServerRole.Both or ServerRole.Worker;

    /// <summary>The role as written on the command line ("both", "api", "worker").</summary>
    public string RoleName => Role.ToString().ToLowerInvariant();

    /// <summary>The options in <paramref name="configuration"/>; a clear message naming the setting when one cannot be used.</summary>
    public static ServerOptions From(IConfiguration configuration, string contentRoot)
    {
        var role = Parse<ServerRole>(configuration[RoleSetting], RoleSetting, "--role ");
        var provider = Parse<StorageProvider>(configuration[ProviderSetting], ProviderSetting, ProviderSetting + "=");
        // Relative to the content root, so the database does not move with the working directory.
        var sqlitePath = Path.Combine(contentRoot, configuration[SqlitePathSetting] is { Length: > 0 } path ? path : "data/symphony.db");
        var postgres = configuration.GetConnectionString("Postgres");
        if (provider == StorageProvider.Postgres && string.IsNullOrWhiteSpace(postgres))
            throw new InvalidOperationException($"{ProviderSetting} is postgres but {PostgresSetting} is not set.");
        return new ServerOptions(role, provider, sqlitePath, postgres);
    }

    /// <summary>A name of <typeparamref name="T"/>, case-insensitive; numbers are not names; unset is the first value.</summary>
    static T Parse<T>(string? value, string setting, string example) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value)) return default;
        var name = Enum.GetNames<T>().FirstOrDefault(n => n.Equals(value.Trim(), StringComparison.OrdinalIgnoreCase));
        if (name is null)
        {
            var names = string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
            throw new InvalidOperationException($"{setting} '{value}' is not one of {names} (e.g. {example}{Enum.GetNames<T>()[0].ToLowerInvariant()}).");
        }
        return Enum.Parse<T>(name);
    }
}

public static class ServerOptionsExtensions
{
    /// <summary>The options this host runs with, read from the builder's configuration the first time and kept in DI.</summary>
    public static ServerOptions ServerOptions(this WebApplicationBuilder builder)
    {
        if (builder.Services.FirstOrDefault(d => d.ServiceType == typeof(ServerOptions))?.ImplementationInstance is ServerOptions registered)
            return registered;
        var options = Server.ServerOptions.From(builder.Configuration, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(options);
        return options;
    }
}
