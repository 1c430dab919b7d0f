using System.Diagnostics;
using Npgsql;

namespace Symphony.Reliability.Tests;

/// <summary>Runs only where the PostgreSQL server binaries are installed (initdb, pg_ctl); otherwise reported as skipped.</summary>
public sealed class PrivatePostgresFactAttribute : FactAttribute
{
    public PrivatePostgresFactAttribute()
    {
        if (PrivatePostgres.BinDirectory is null) Skip = "PostgreSQL server binaries (initdb, pg_ctl) are not installed";
    }
}

/// <summary>
/// A PostgreSQL server of its own (fresh data directory, free port), so a test can stop and start it without
/// disturbing the shared server that other tests use at the same time. As root it runs as the postgres user.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    readonly string _dataDirectory;
    readonly int _port;

    PrivatePostgres(string dataDirectory, int port)
    {
        _dataDirectory = dataDirectory;
        _port = port;
    }

    public static string? BinDirectory { get; } = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql")
            .Select(d => Path.Combine(d, "bin"))
            .Where(bin => File.Exists(Path.Combine(bin, "pg_ctl")) && File.Exists(Path.Combine(bin, "initdb")))
            .OrderBy(bin => int.TryParse(Path.GetFileName(Path.GetDirectoryName(bin)), out var v) ? v : 0)
            .LastOrDefault()
        : null;

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = _port, Username = "postgres", Database = "postgres",
    }.ConnectionString;

    public static async Task<PrivatePostgres> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("symphony-pg-").FullName;
        if (IsRoot) await RunAsync("chown", ["-R", "postgres", directory]);
        var server = new PrivatePostgres(Path.Combine(directory, "data"), ServerProcess.FreePort());
        await server.PgAsync("initdb", ["-D", server._dataDirectory, "-U", "postgres", "--auth=trust", "--no-sync"]);
        await server.StartServerAsync();
        return server;
    }

    /// <summary>Starts the server and waits until it accepts connections.</summary>
    public Task StartServerAsync() => PgAsync("pg_ctl", ["-D", _dataDirectory, "-w", "-t", "60", "-l", _dataDirectory + ".log",
        "-o", $"-p {_port} -c listen_addresses=127.0.0.1 -k {Path.GetDirectoryName(_dataDirectory)}", "start"]);

    /// <summary>Immediate shutdown: every connection is cut at once, as in a crash; recovery runs at the next start.</summary>
    public Task CrashAsync() => PgAsync("pg_ctl", ["-D", _dataDirectory, "-m", "immediate", "-w", "stop"]);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        try { await CrashAsync(); } catch (InvalidOperationException) { } // already stopped
        Directory.Delete(Path.GetDirectoryName(_dataDirectory)!, recursive: true);
    }

    static bool IsRoot => Environment.UserName == "root";

    Task PgAsync(string tool, string[] arguments)
    {
        var executable = Path.Combine(BinDirectory!, tool);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", executable, .. arguments]) : RunAsync(executable, arguments);
    }

    static async Task RunAsync(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
    }
}
