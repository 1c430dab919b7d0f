#!/bin/bash
# End-to-end benchmark on PostgreSQL: starts the server processes, waits until they are ready, runs
# `symphony bench e2e` (per-resource PUTs, then one transaction Bundle per note) and prints the CPU seconds
# each process and PostgreSQL spent during each run.
#
#   src/Symphony.Cli/Bench/bench-e2e-postgres.sh <synthea-bulk-dir> <notes> <split1|split2|both> [warm-up notes]
#
# Run from the repository root after `dotnet build -c Release` of src/Symphony.Fhir.Server and src/Symphony.Cli.
# BENCH_DB (default symphony_bench_e2e) is created if missing and kept: the first start loads the terminology into
# it. POSTGRES (default Host=127.0.0.1;Username=postgres;Password=postgres;SSL Mode=Disable) must reach a local server
# (its CPU is read from /proc, so run as a user who may read it). TLS is off by default: on loopback it protects nothing
# and costs CPU on both ends (Npgsql prefers TLS when the server offers it, as Debian's PostgreSQL does).
# PGSS=1: after each run, the bench database's statements by total time from pg_stat_statements (reset before the run;
# needs shared_preload_libraries = 'pg_stat_statements' and the extension created in the postgres database).
# The server processes inherit the environment: OTEL_EXPORTER_OTLP_ENDPOINT=… measures with telemetry exported.
# BENCH_PORT (default 5301): the api listens there, worker i on BENCH_PORT + 10 + i. BENCH_SERVER: another build's output
# folder (a copy of bin/Release/net10.0), to alternate two builds on the same database.
set -e
data=$1; notes=$2; mode=$3; warm=${4:-200}
db=${BENCH_DB:-symphony_bench_e2e}
pg=${POSTGRES:-Host=127.0.0.1;Username=postgres;Password=postgres;SSL Mode=Disable}
logs=$(mktemp -d)
psql "postgresql://postgres:postgres@127.0.0.1/postgres" -qc "CREATE DATABASE $db" 2>/dev/null || true
export Storage__Provider=postgres ConnectionStrings__Postgres="$pg;Database=$db" Coding__Icd10CmVersion=2021
server=${BENCH_SERVER:-src/Symphony.Fhir.Server/bin/Release/net10.0}/Symphony.Fhir.Server.dll
# The bench client's token: the admin client the api's first start on the database wrote (the content root is here).
export SYMPHONY_CLIENT_FILE=${SYMPHONY_CLIENT_FILE:-$PWD/data/admin-client.json}
port=${BENCH_PORT:-5301}
bench="dotnet src/Symphony.Cli/bin/Release/net10.0/symphony.dll bench e2e --url http://127.0.0.1:$port --data $data"
cpu() { awk '{print ($14+$15)/100}' /proc/$1/stat; }
pgcpu() {  # the postmaster, its live backends, and the backends that have exited
  local pm; pm=$(pgrep -o -x postgres)
  { awk '{print $14+$15+$16+$17}' /proc/$pm/stat; for c in $(pgrep -P $pm); do awk '{print $14+$15}' /proc/$c/stat 2>/dev/null; done; } | awk '{s+=$1} END {print s/100}'
}
# The bench database's own backends (the servers' pooled connections): CPU per pid, to subtract pid by pid, since
# other databases on the same server (other work on the machine) would blur the whole server's figure.
dbcpu() {
  local pm; pm=$(pgrep -o -x postgres)
  for c in $(pgrep -P $pm); do grep -qa ": postgres $db " /proc/$c/cmdline 2>/dev/null &&
    awk -v p=$c '{print p, ($14+$15)/100}' /proc/$c/stat 2>/dev/null; done; true
}
dbdelta() {  # CPU seconds of the bench database's backends since the snapshot in $1
  dbcpu | awk -v before="$1" 'BEGIN { n = split(before, b, "\n"); for (i = 1; i <= n; i++) { split(b[i], f, " "); was[f[1]] = f[2] } }
    { s += $2 - ($1 in was ? was[$1] : 0) } END { printf "%.2f", s }'
}
psql_admin() { psql "postgresql://postgres:postgres@127.0.0.1/postgres" "$@"; }
pids=(); names=()
start() { dotnet $server --role $1 --urls http://127.0.0.1:$2 > $logs/$3.log 2>&1 & pids+=($!); names+=($3); }
if [ "$mode" = both ]; then start both $port both; else
  start api $port api; for i in $(seq 1 ${mode#split}); do start worker $((port + 10 + i)) worker$i; done; fi
trap 'kill ${pids[*]} 2>/dev/null' EXIT
until curl -sf http://127.0.0.1:$port/metadata > /dev/null; do sleep 1; done
# Measure the running server, not its start: terminology loaded (api), validator warm (api), coder loaded (workers).
until grep -q "Terminology: ready" $logs/api.log $logs/both.log 2>/dev/null; do sleep 1; done
until grep -q "Validator ready" $logs/api.log $logs/both.log 2>/dev/null; do sleep 1; done
for f in $logs/worker*.log $logs/both.log; do [ -f $f ] && until grep -q "Coder ready" $f; do sleep 1; done; done
[ "$warm" -gt 0 ] && $bench --notes $warm > /dev/null
for flag in "" --bundle; do
  sleep 2
  [ -n "$PGSS" ] && psql_admin -qAtc "SELECT pg_stat_statements_reset()" > /dev/null
  declare -A before; for i in "${!pids[@]}"; do before[$i]=$(cpu ${pids[$i]}); done; pg0=$(pgcpu); db0=$(dbcpu)
  echo "== $mode ${flag:---put}, $notes notes; $(uptime | sed 's/.*load/load/')"
  $bench --notes $notes $flag
  for i in "${!pids[@]}"; do echo "${names[$i]} CPU $(echo "$(cpu ${pids[$i]}) - ${before[$i]}" | bc) s"; done
  echo "PostgreSQL CPU $(dbdelta "$db0") s ($db's connections), $(echo "$(pgcpu) - $pg0" | bc) s (all databases); $(uptime | sed 's/.*load/load/')"
  [ -n "$PGSS" ] && psql_admin -c "SELECT calls, round(total_exec_time::numeric, 0) AS total_ms, round(mean_exec_time::numeric, 3) AS mean_ms,
      rows, wal_bytes, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS statement
    FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = '$db') ORDER BY total_exec_time DESC LIMIT 20"
done
