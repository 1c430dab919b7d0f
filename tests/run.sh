#!/usr/bin/env bash
# Runs every test on SQLite and PostgreSQL. On a fresh Debian machine (as root) it installs and
# starts PostgreSQL first. Prints one closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

start_postgres() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: not root; expecting PostgreSQL on 127.0.0.1:5432 already (or set SYMPHONY_TEST_POSTGRES)"
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  command -v pg_ctlcluster >/dev/null || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
  local v
  v=$(ls /usr/lib/postgresql | sort -V | tail -1)
  pg_lsclusters -h | awk '{print $2}' | grep -qx main || pg_createcluster "$v" main
  pg_ctlcluster "$v" main start 2>/dev/null || true
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
}

if [ -z "${SYMPHONY_TEST_POSTGRES:-}" ]; then
  start_postgres
  # Loopback: TLS protects nothing here, costs CPU at both ends, and under the parallel test load its client side
  # has failed ("SSL error: decryption failed or bad record mac" in the server log).
  export SYMPHONY_TEST_POSTGRES="Host=127.0.0.1;Port=5432;Username=postgres;Password=postgres;SSL Mode=Disable"
fi

# The review app's end-to-end tests drive Debian's Chromium (never a downloaded browser).
if ! command -v chromium >/dev/null && [ "$(id -u)" -eq 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

results=$(mktemp -d)

# The review app's unit tests (Vitest); its packages are installed from package-lock.json when it changed.
app=src/Symphony.ReviewApp
if [ ! "$app/node_modules/.package-lock.json" -nt "$app/package-lock.json" ]; then
  (cd "$app" && npm ci --no-audit --no-fund) || echo "tests/run.sh: npm ci failed in $app"
fi
(cd "$app" && npx vitest run --reporter=default --reporter=json --outputFile="$results/vitest.json")
vitest_status=$?

dotnet test Symphony.Fhir.sln -c Release --logger "trx" --results-directory "$results"
status=$?

passed=0; failed=0; skipped=0; pg=0; sqlite=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
  pg=$((pg + $(grep -o '<UnitTestResult [^>]*testName="[^"]*Postgres[^"]*"[^>]*outcome="Passed"' "$trx" | wc -l)))
  sqlite=$((sqlite + $(grep -o '<UnitTestResult [^>]*testName="[^"]*Sqlite[^"]*"[^>]*outcome="Passed"' "$trx" | wc -l)))
done
if [ -f "$results/vitest.json" ]; then
  read -r vp vf < <(node -e 'const r=require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests)' "$results/vitest.json")
  passed=$((passed + vp)); failed=$((failed + vf))
fi
[ "$vitest_status" -ne 0 ] && status=$vitest_status
rm -rf "$results"
echo "backend tests passed: ${sqlite} on SQLite, ${pg} on PostgreSQL"
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1   # a build or runner failure counts as a failure
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
