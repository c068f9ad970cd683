#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a while on its seed corpus.
#   scripts/fuzz.sh [SECONDS]     (default 30 per target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
CC=clang-19 CXX=clang++-19 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKITH_FUZZ=ON \
  -DKITH_BENCH=OFF >/dev/null
cmake --build build-fuzz --target graph_parser_fuzz
mkdir -p build-fuzz/corpus/graph
export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
echo "fuzz: graph_parser_fuzz for ${seconds}s"
build-fuzz/fuzz/graph_parser_fuzz -max_total_time="$seconds" -max_len=8192 -timeout=10 -print_final_stats=1 \
  build-fuzz/corpus/graph test/graph/valid test/graph/invalid 2>&1 | tail -n 12
