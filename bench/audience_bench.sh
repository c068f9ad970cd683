#!/usr/bin/env bash
# Benchmarks audiences on a `kith gen` warehouse (default 1M profiles), on
# DuckDB and on PostgreSQL (a throwaway server this script starts and stops):
# compile time, compiled vs hand-written query time (ratios), count preview
# time, and the peak memory of `kith members` for a large and a small audience.
#
#   bench/audience_bench.sh [PROFILES]        (build first: scripts/test.sh or cmake --build build)
#
# Environment: KITH (default build/kith), BENCH (default build/bench/audience_bench),
# DATA (folder for the generated warehouse, kept between runs; default build/bench-data), RUNS (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
KITH=${KITH:-build/kith}
BENCH=${BENCH:-build/bench/audience_bench}
DATA=${DATA:-build/bench-data}
RUNS=${RUNS:-3}
mkdir -p "$DATA"
db="$DATA/gen_$N.duckdb"
graph="$DATA/gen_$N.hcl"
if [[ ! -f "$db" || ! -f "$graph" ]]; then
  echo "audience_bench: generating $N profiles" >&2
  "$KITH" gen --out "$db" --graph-out "$graph" --profiles "$N" --quiet
fi
[[ -x /usr/bin/time ]] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null; }

# A throwaway PostgreSQL server on a free loopback port.
pgbin=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pgdir=$(mktemp -d)
as_pg() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[[ $(id -u) -eq 0 ]] && chown postgres "$pgdir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pgbin/initdb" -D "$pgdir/data" -A trust -U postgres >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w start -o \
  "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
   -c shared_buffers=2GB -c work_mem=256MB -c max_parallel_workers_per_gather=2" >/dev/null
trap 'as_pg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"' EXIT
psql -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE bench" postgres
pg="postgresql://postgres@127.0.0.1:$port/bench"
echo "audience_bench: copying the warehouse into PostgreSQL" >&2
start=$(date +%s.%N)
"$KITH" copy --from "duckdb:$db" --to "$pg" --schemas segment,crm 2>/dev/null
psql -q -h 127.0.0.1 -p "$port" -U postgres -c "ANALYZE" bench
echo "audience_bench: copied in $(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.1f", a - b }') s" >&2

echo "## Audiences on $N generated profiles ($(nproc) cores; median of $RUNS runs)"
"$BENCH" --warehouse "duckdb:$db" --graph "$graph" --postgres "$pg" --runs "$RUNS"

echo
echo "## Peak memory of kith members (DuckDB, output to /dev/null)"
printf '| audience | members | peak RSS (MB) | seconds |\n|---|---:|---:|---:|\n'
big=$(mktemp --suffix=.json); small=$(mktemp --suffix=.json)
echo '{"groups": [{"conditions": [{"type": "trait", "trait": "first_name"}]}]}' > "$big"
echo '{"groups": [{"conditions": [{"type": "trait", "trait": "plan", "filter": {"op": "equals", "value": "enterprise"}},
  {"type": "trait", "trait": "is_vip", "filter": {"op": "equals", "value": true}}]}]}' > "$small"
for a in "$big" "$small"; do
  log=$(mktemp)
  count=$(/usr/bin/time -v -o "$log" "$KITH" members --warehouse "duckdb:$db" --graph "$graph" --audience "$a" \
    --as-of 2026-01-01T00:00:00Z | wc -l)
  rss=$(awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$log")
  secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")
  printf '| %s | %s | %s | %s |\n' "$(basename "$a")" "$count" "$rss" "$secs"
  rm -f "$log"
done
rm -f "$big" "$small"
