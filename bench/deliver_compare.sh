#!/usr/bin/env bash
# Delivery throughput of two builds side by side: deliver_bench of each (no backlog), alternately ROUNDS times, then
# the median events/s of each case per build and their ratio (NEW / OLD). For what a change costs the drainer, e.g.
# the delivery overview's running totals against the commit before them:
#
#   git worktree add /tmp/kith-before 583b48c && cmake -S /tmp/kith-before -B /tmp/kith-before/build -G Ninja \
#       -DCMAKE_BUILD_TYPE=RelWithDebInfo && ninja -C /tmp/kith-before/build deliver_bench
#   bench/deliver_compare.sh /tmp/kith-before/build/bench/deliver_bench build/bench/deliver_bench 5
#
# Environment: EVENTS (events per case, default 200000).
set -euo pipefail
OLD=${1:?usage: bench/deliver_compare.sh OLD_DELIVER_BENCH NEW_DELIVER_BENCH [ROUNDS]}
NEW=${2:?usage: bench/deliver_compare.sh OLD_DELIVER_BENCH NEW_DELIVER_BENCH [ROUNDS]}
ROUNDS=${3:-5}
EVENTS=${EVENTS:-200000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "deliver_compare: $EVENTS events per case, $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
  for build in old new; do
    bin=$OLD
    [[ $build == new ]] && bin=$NEW
    # The case lines: name, events, seconds, events/s, peak MB; the name is what precedes the four numbers.
    "$bin" --events "$EVENTS" --backlog 0 --dir "$out/dir" |
      awk -v b="$build" 'NF > 4 && $(NF-3) ~ /^[0-9]+$/ && $(NF-2) ~ /^[0-9.]+$/ { n = $1; for (i = 2; i <= NF - 4; i++) n = n " " $i;
                          print b "\t" n "\t" $(NF-1) }' >>"$out/rates"
  done
  echo "  round $round done (load $(cut -d' ' -f1 /proc/loadavg))"
done
python3 - "$out/rates" <<'PY'
import statistics, sys
rates = {}
for line in open(sys.argv[1]):
    build, case, rate = line.rstrip("\n").split("\t")
    rates.setdefault(case, {}).setdefault(build, []).append(float(rate))
print(f"{'case':<44} {'old events/s':>13} {'new events/s':>13} {'new / old':>10}")
for case, r in rates.items():
    old, new = statistics.median(r["old"]), statistics.median(r["new"])
    print(f"{case:<44} {old:>13.0f} {new:>13.0f} {new / old:>10.3f}")
PY
echo "load afterwards $(cut -d' ' -f1-3 /proc/loadavg)"
