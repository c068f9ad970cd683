#!/usr/bin/env bash
# Benchmarks `kith gen`: wall time, CPU time (user + system), peak resident
# memory and file size per profile count, measured with GNU time
# (`/usr/bin/time -v`). The load average before each run is printed too: wall
# time on a busy machine says little, CPU time much more.
#
#   bench/gen_bench.sh                      # 100k, 1M and 5M profiles
#   bench/gen_bench.sh 100000 1000000       # chosen profile counts
#
# Environment: KITH (the binary, default build/kith), SEED (default 1),
# OUT_DIR (where the files go, default a fresh temporary folder, removed at the
# end), KEEP=1 keeps the generated files.
set -euo pipefail
cd "$(dirname "$0")/.."

KITH=${KITH:-build/kith}
SEED=${SEED:-1}
if (($# == 0)); then set -- 100000 1000000 5000000; fi

if [[ ! -x "$KITH" ]]; then
  echo "gen_bench: $KITH not found; build first or set KITH" >&2
  exit 2
fi
if [[ ! -x /usr/bin/time ]]; then
  echo "gen_bench: installing GNU time" >&2
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time >/dev/null
fi

if [[ -n "${OUT_DIR:-}" ]]; then
  mkdir -p "$OUT_DIR"
else
  OUT_DIR=$(mktemp -d)
  [[ "${KEEP:-0}" == 1 ]] || trap 'rm -rf "$OUT_DIR"' EXIT
fi

# "h:mm:ss" or "m:ss.cc" -> seconds
to_seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }' <<<"$1"; }

echo "kith gen benchmark: $(nproc) cores, $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), seed $SEED"
printf '%12s %10s %10s %10s %10s %16s\n' profiles seconds "CPU s" "peak MB" "file MB" "load before"
for n in "$@"; do
  db="$OUT_DIR/gen_$n.duckdb"
  graph="$OUT_DIR/gen_$n.hcl"
  log="$OUT_DIR/gen_$n.time"
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  if ! /usr/bin/time -v -o "$log" "$KITH" gen --out "$db" --graph-out "$graph" --profiles "$n" --seed "$SEED" --quiet; then
    echo "gen_bench: kith gen failed for $n profiles" >&2
    exit 1
  fi
  wall=$(to_seconds "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.1f", s }' "$log")
  peak=$(awk '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$log")
  size=$(du -m --apparent-size "$db" | cut -f1)
  printf '%12s %10s %10s %10s %10s %16s\n' "$n" "$wall" "$cpu" "$peak" "$size" "$load"
  [[ "${KEEP:-0}" == 1 ]] || rm -f "$db" "$db.wal" "$graph"
done
