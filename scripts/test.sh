#!/usr/bin/env bash
# Sets everything up and runs every test: the unit and data-driven suites in a
# normal build, the web app's tests (scripts/web_test.sh: Vitest and the
# end-to-end tests in chromium against that build's kith), again under
# AddressSanitizer + UndefinedBehaviorSanitizer (one clang build that also
# holds the libFuzzer targets), then the fuzz targets briefly on their seed
# corpora.
#   scripts/test.sh            (KITH_FUZZ_SECONDS=N to fuzz longer; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)
# The stand-ins of the remote engines (scripts/standin.sh: Spark, Databricks, Redshift, Snowflake, BigQuery) are
# started once by the first test that needs them and shared by the suite; they stop when this script ends, however
# it ends.
trap 'scripts/standin.sh stop all >/dev/null 2>&1 || true' EXIT

echo "== build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
echo "== tests"
(cd build && ctest --output-on-failure -j "$jobs")
echo "== web app tests"
KITH_BIN="$PWD/build/kith" ./scripts/web_test.sh

echo "== build (ASan + UBSan, clang, with the fuzz targets)"
CC=clang-19 CXX=clang++-19 cmake -S . -B build-san -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKITH_FUZZ=ON \
  -DKITH_BENCH=OFF >/dev/null
cmake --build build-san -j "$jobs"
echo "== tests under ASan + UBSan"
# The spark_heavy and standin_heavy suites (the golden, engine, agreement and run end-to-end suites on the remote
# engines' stand-ins: minutes of work each) ran in the normal pass; their C++ paths (compiler, runs, the drivers)
# run here in the other suites. So did the API fuzz (api_fuzz: two minutes of generated requests, whose server
# paths api_test covers here).
(cd build-san && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --output-on-failure -j "$jobs" -LE "spark_heavy|standin_heavy|api_fuzz")

fuzz_seconds=${KITH_FUZZ_SECONDS:-30}
if [[ "$fuzz_seconds" != 0 ]]; then
  echo "== fuzz"
  KITH_FUZZ_BUILD=build-san ./scripts/fuzz.sh "$fuzz_seconds"
fi
