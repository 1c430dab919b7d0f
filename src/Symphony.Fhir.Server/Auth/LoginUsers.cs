using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Symphony.Fhir.Server.Auth;

/// <summary>
/// The users of the login page: those of configuration (<c>Auth:Users</c>) first, then those <c>symphony auth user add</c>
/// stored, read at each sign-in so that an added or removed user counts at once. A wrong name and a wrong password are the
/// same answer, and take the same work (an unknown name is checked against a hash of nothing). After
/// <see cref="MaxFailures"/> failures for one name within <see cref="FailureWindow"/>, that name is refused — with the same
/// answer — until the window has passed; each failure is answered after <see cref="FailureDelay"/>.
/// </summary>
public sealed class LoginUsers(IOptions<AuthOptions> options, AuthStore store, TimeProvider clock)
{
    public const int MaxFailures = 5;
    public static readonly TimeSpan FailureWindow = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan FailureDelay = TimeSpan.FromSeconds(1);

    /// <summary>Bounds the failures kept in memory (names an attacker makes up included).</summary>
    const int MaxTrackedNames = 10_000;

    static readonly string NobodysHash = SecretHash.Of(Guid.NewGuid().ToString());

    readonly ConcurrentDictionary<string, (int Count, DateTimeOffset Since)> _failures = new(StringComparer.OrdinalIgnoreCase);

    public async Task<UserOptions?> FindAsync(string? userName, CancellationToken ct) =>
        string.IsNullOrEmpty(userName) ? null
        : options.Value.Users.FirstOrDefault(u => u.UserName == userName) ?? await store.FindUserAsync(userName, ct);

    /// <summary>The user whose name and password these are, or null (unknown name, wrong password, or too many failures).</summary>
    public async Task<UserOptions?> SignInAsync(string? userName, string? password, CancellationToken ct)
    {
        userName = userName?.Trim() ?? "";
        var user = await FindAsync(userName, ct);
        var matches = SecretHash.Matches(password ?? "", user?.PasswordHash ?? NobodysHash);
        var now = clock.GetUtcNow();
        var locked = _failures.TryGetValue(userName, out var failures) && failures.Count >= MaxFailures && now - failures.Since < FailureWindow;
        if (user is not null && matches && !locked)
        {
            _failures.TryRemove(userName, out _);
            return user;
        }
        if (_failures.Count >= MaxTrackedNames)
        {
            foreach (var old in _failures.Where(f => now - f.Value.Since >= FailureWindow).Select(f => f.Key).ToList())
                _failures.TryRemove(old, out _);
        }
        if (_failures.Count < MaxTrackedNames || _failures.ContainsKey(userName))
            _failures.AddOrUpdate(userName, (1, now), (_, f) => now - f.Since >= FailureWindow ? (1, now) : (f.Count + 1, f.Since));
        await Task.Delay(FailureDelay, ct);
        return null;
    }
}
