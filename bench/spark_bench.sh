#!/usr/bin/env bash
# Benchmarks kith on Apache Spark (the local stand-in, scripts/standin.sh) with a `kith gen` warehouse (default 1M
# profiles): loading it into Spark (Parquet files made by DuckDB, bench/spark_load.cpp), the copy rate of
# `kith copy` into Spark on a smaller warehouse, the six audiences of bench/audience_bench.cpp on Spark (compiled
# against hand-written query, same members, count preview), and audience runs on Spark (bench/run_bench.cpp:
# extracting and preparing times). Prints markdown tables, with the command and the machine's load at the start and
# at the end.
#
#   bench/spark_bench.sh [PROFILES]        (build first: cmake --build build --target kith audience_bench run_bench spark_load)
#
# Environment: KITH (default build/kith), BENCH_DIR (default build/bench), DATA (folder for the generated
# warehouses and their Parquet files, kept between runs; default build/bench-data), RUNS (default 3),
# COPY_PROFILES (profiles of the warehouse timed through `kith copy`, default 20000; 0 skips it),
# KITH_STANDIN_DIR (the stand-in's folder, default build/standin-bench: a Spark of its own, not the test suite's),
# SPARK_EVENT_LOG (a folder: the stand-in, when this script starts it, writes Spark's event log there; for plans
# and operator metrics), KEEP_STANDIN=1 (leave the stand-in running; by default it is stopped at the end when this
# script started it).
#
# The run benchmark changes the Spark tables (crm.accounts is rewritten, rows are appended to segment.user_traits,
# inside DATA's Parquet folder): it runs last, and the next run of this script loads the tables again.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
KITH=${KITH:-build/kith}
BENCH_DIR=${BENCH_DIR:-build/bench}
DATA=${DATA:-build/bench-data}
RUNS=${RUNS:-3}
COPY_PROFILES=${COPY_PROFILES:-20000}
export KITH_STANDIN_DIR=${KITH_STANDIN_DIR:-$PWD/build/standin-bench}
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)

log() { echo "spark_bench: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; }
gen() {  # gen PROFILES: the warehouse and its graph, made once
  local n=$1
  if [[ ! -f "$DATA/gen_$n.duckdb" || ! -f "$DATA/gen_$n.hcl" ]]; then
    log "generating $n profiles"
    "$KITH" gen --out "$DATA/gen_$n.duckdb" --graph-out "$DATA/gen_$n.hcl" --profiles "$n" --quiet
  fi
}

echo "## kith on Spark, $N generated profiles"
echo
echo "Command: \`RUNS=$RUNS COPY_PROFILES=$COPY_PROFILES bench/spark_bench.sh $N\` ($(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GB)"
echo
echo "Load at the start: \`$(uptime)\`"
echo

gen "$N"
((COPY_PROFILES > 0)) && gen "$COPY_PROFILES"

# The stand-in: started here unless it runs already (then it is reused and left running).
started=0
if ! scripts/standin.sh status spark >/dev/null 2>&1; then
  started=1
  if [[ -n "${SPARK_EVENT_LOG:-}" ]]; then
    mkdir -p "$SPARK_EVENT_LOG"
    export KITH_STANDIN_SPARK_CONF="spark.eventLog.enabled=true;spark.eventLog.dir=file://$(cd "$SPARK_EVENT_LOG" && pwd)"
  fi
fi
eval "$(scripts/standin.sh start spark)"
if ((started)) && [[ "${KEEP_STANDIN:-0}" != 1 ]]; then
  trap 'scripts/standin.sh stop spark >&2 || true' EXIT
fi
spark=$KITH_WAREHOUSE
log "Spark at $spark"

if ((COPY_PROFILES > 0)); then
  echo "### \`kith copy\` of $COPY_PROFILES profiles into Spark (SQL INSERTs through the Thrift server)"
  echo
  copylog=$(mktemp)
  start=$(now)
  "$KITH" copy --from "duckdb:$DATA/gen_$COPY_PROFILES.duckdb" --to "$spark" --schemas segment,crm 2>"$copylog" ||
    { cat "$copylog" >&2; exit 1; }
  secs=$(since "$start")
  printf '| table | rows | seconds | rows/s |\n|---|---:|---:|---:|\n'
  awk '/^copy: / && / rows / && !/ \.\.\.$/ && !/ tables, / {
         s = $NF; sub(/s$/, "", s); r = (s > 0) ? $3 / s : 0; printf "| %s | %s | %.2f | %.0f |\n", $2, $3, s, r }' "$copylog"
  rows=$(awk '/ tables, / { print $4 }' "$copylog")
  printf '| **total** | %s | %s | %.0f |\n' "$rows" "$secs" "$(awk -v r="$rows" -v s="$secs" 'BEGIN { print r / s }')"
  rm -f "$copylog"
  echo
fi

echo "### Loading $N profiles into Spark through Parquet (\`build/bench/spark_load\`)"
echo
start=$(now)
"$BENCH_DIR/spark_load" --from "duckdb:$DATA/gen_$N.duckdb" --to "$spark" --parquet "$DATA/parquet_$N"
echo
echo "Loaded in $(since "$start") s (wall, including the row counts)."
echo

echo "### Audiences on Spark ($N profiles; median of $RUNS runs)"
echo
"$BENCH_DIR/audience_bench" --warehouse "$spark" --graph "$DATA/gen_$N.hcl" --runs "$RUNS" \
  ${EXPLAIN_DIR:+--explain "$EXPLAIN_DIR"}
echo

echo "### Runs on Spark ($N profiles)"
echo
state=$(mktemp -d)
"$BENCH_DIR/run_bench" --warehouse "$spark" --graph "$DATA/gen_$N.hcl" --state "$state"
rm -rf "$state"
echo
echo "Load at the end: \`$(uptime)\`"
