#!/usr/bin/env bash
# Runs of two builds side by side: run_bench of each (bench/run_bench.sh's three runs of two audiences on a fresh
# copy of the same generated warehouse), alternately ROUNDS times, then per audience and run the median preparing
# seconds and events/s prepared of each build, and their ratio (NEW / OLD). For what a change does to preparing
# events, e.g. against the commit before it:
#
#   git worktree add /tmp/kith-before f511365 && cmake -S /tmp/kith-before -B /tmp/kith-before/build -G Ninja \
#       -DCMAKE_BUILD_TYPE=RelWithDebInfo && ninja -C /tmp/kith-before/build run_bench
#   DATA=DIR bench/run_compare.sh /tmp/kith-before/build/bench/run_bench build/bench/run_bench 3
#
# Environment: PROFILES (default 1000000), DATA (folder of the generated warehouse, as bench/run_bench.sh; made
# with build/kith gen when missing), KITH (default build/kith).
set -euo pipefail
OLD=${1:?usage: bench/run_compare.sh OLD_RUN_BENCH NEW_RUN_BENCH [ROUNDS]}
NEW=${2:?usage: bench/run_compare.sh OLD_RUN_BENCH NEW_RUN_BENCH [ROUNDS]}
ROUNDS=${3:-3}
N=${PROFILES:-1000000}
KITH=${KITH:-build/kith}
DATA=${DATA:-build/bench-data}
mkdir -p "$DATA"
db="$DATA/gen_$N.duckdb"
graph="$DATA/gen_$N.hcl"
if [[ ! -f "$db" || ! -f "$graph" ]]; then
  echo "run_compare: generating $N profiles" >&2
  "$KITH" gen --out "$db" --graph-out "$graph" --profiles "$N" --quiet
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "run_compare: $N profiles, $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  for build in old new; do
    bin=$OLD
    [[ $build == new ]] && bin=$NEW
    rm -rf "$out/w" && mkdir -p "$out/w"
    cp "$db" "$out/w/w.duckdb"
    # The table rows: | audience | run | members | ... | preparing (s) | ... | events/s prepared | peak RSS |
    "$bin" --warehouse "duckdb:$out/w/w.duckdb" --graph "$graph" --state "$out/w" |
      awk -F'|' -v b="$build" '$3 ~ /\(/ { gsub(/^ +| +$/, "", $2); gsub(/^ +| +$/, "", $3);
                                          print b "\t" $2 " " $3 "\t" $9 + 0 "\t" $12 + 0 }' >>"$out/rows"
  done
  echo "  round $round done (load $(cut -d' ' -f1 /proc/loadavg))"
done
python3 - "$out/rows" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    build, case, prep, rate = line.rstrip("\n").split("\t")
    rows.setdefault(case, {}).setdefault(build, []).append((float(prep), float(rate)))
print(f"{'audience, run':<28} {'old prep (s)':>12} {'new prep (s)':>12} {'old events/s':>13} {'new events/s':>13} {'new / old':>10}")
for case, r in rows.items():
    op = statistics.median(p for p, _ in r["old"]); np_ = statistics.median(p for p, _ in r["new"])
    orate = statistics.median(x for _, x in r["old"]); nrate = statistics.median(x for _, x in r["new"])
    ratio = f"{nrate / orate:.2f}" if orate > 0 else "-"
    print(f"{case:<28} {op:>12.2f} {np_:>12.2f} {orate:>13.0f} {nrate:>13.0f} {ratio:>10}")
PY
