#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a while on its seed corpus.
#   scripts/fuzz.sh [SECONDS]     (default 30 per target)
#   KITH_FUZZ_BUILD=DIR            a build folder configured with -DKITH_FUZZ=ON to reuse (scripts/test.sh passes its
#                                  sanitizer build); default build-fuzz, configured here (RelWithDebInfo)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
build=${KITH_FUZZ_BUILD:-build-fuzz}
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  CC=clang-19 CXX=clang++-19 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKITH_FUZZ=ON \
    -DKITH_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target graph_parser_fuzz audience_parser_fuzz sql_literal_fuzz mapping_fuzz alert_fuzz
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
run() { # target seconds seed-dirs...
  local target=$1 secs=$2; shift 2
  mkdir -p "$build/corpus/$target"
  echo "fuzz: $target for ${secs}s"
  "$build/fuzz/$target" -max_total_time="$secs" -max_len=8192 -timeout=10 -print_final_stats=1 \
    "$build/corpus/$target" "$@" 2>&1 | tail -n 6
}
run graph_parser_fuzz "$seconds" test/graph/valid test/graph/invalid
run audience_parser_fuzz "$seconds" fuzz/seeds/audience test/audience/invalid
run sql_literal_fuzz "$((seconds / 3 + 1))" fuzz/seeds/audience
run mapping_fuzz "$seconds" fuzz/seeds/mapping
run alert_fuzz "$((seconds / 2 + 1))" fuzz/seeds/alert
