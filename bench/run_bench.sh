#!/usr/bin/env bash
# Benchmarks audience runs on a `kith gen` warehouse (default 1M profiles) in
# DuckDB: first run (backfill), a run without changes, a run after ~1% of the
# data changed; step times against the members query alone, and peak memory.
#
#   bench/run_bench.sh [PROFILES]        (build first: scripts/test.sh or cmake --build build)
#
# Environment: KITH (default build/kith), BENCH (default build/bench/run_bench),
# DATA (folder for the generated warehouse, kept between runs; default build/bench-data).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
KITH=${KITH:-build/kith}
BENCH=${BENCH:-build/bench/run_bench}
DATA=${DATA:-build/bench-data}
mkdir -p "$DATA"
db="$DATA/gen_$N.duckdb"
graph="$DATA/gen_$N.hcl"
if [[ ! -f "$db" || ! -f "$graph" ]]; then
  echo "run_bench: generating $N profiles" >&2
  "$KITH" gen --out "$db" --graph-out "$graph" --profiles "$N" --quiet
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$db" "$work/w.duckdb"   # runs write kith_state and the bench changes data: never the kept copy
echo "## Runs on $N generated profiles (DuckDB, $(nproc) cores)"
"$BENCH" --warehouse "duckdb:$work/w.duckdb" --graph "$graph" --state "$work"
