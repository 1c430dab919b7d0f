// Test classes run one after another. Hosts side by side in this process no longer take each other's job storage:
// Hangfire's configuration is static, but each host registers its own JobStorage and JobActivator (CodingApi), which
// PostgresBesideSqliteJobStorageTests checks with two hosts at once. Still process-wide: Hangfire's log provider (the
// host configured last receives every host's Hangfire log lines) and its serializer settings (the same for every host).
// Kept in sequence all the same: on two cores, classes in parallel saved little (3 min in sequence, 2.5-2.9 min in
// parallel) and made the coding classes compete for the CPU.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
