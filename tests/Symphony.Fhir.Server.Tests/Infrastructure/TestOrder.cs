// One server host at a time in this process. Hangfire keeps its configuration in statics (GlobalConfiguration,
// JobStorage.Current) that every host in a process shares; hosts started side by side by parallel test classes
// could pick up each other's job storage, and a PostgreSQL coding class was once left with workers that never
// drained. A real deployment runs one host per process.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
