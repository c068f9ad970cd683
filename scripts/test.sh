#!/usr/bin/env bash
# Sets everything up and runs every test: the unit and data-driven suites in a
# normal build, the web app's tests (scripts/web_test.sh: Vitest and the
# end-to-end tests in chromium against that build's kith), again under
# AddressSanitizer + UndefinedBehaviorSanitizer, then the fuzz targets briefly
# on their seed corpora.
#   scripts/test.sh            (KITH_FUZZ_SECONDS=N to fuzz longer; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
jobs=$(nproc)

echo "== build (RelWithDebInfo)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$jobs"
echo "== tests"
(cd build && ctest --output-on-failure -j "$jobs")
echo "== web app tests"
KITH_BIN="$PWD/build/kith" ./scripts/web_test.sh

echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DKITH_SANITIZE=ON -DKITH_BENCH=OFF >/dev/null
cmake --build build-asan -j "$jobs"
echo "== tests under ASan + UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest --output-on-failure -j "$jobs")

fuzz_seconds=${KITH_FUZZ_SECONDS:-30}
if [[ "$fuzz_seconds" != 0 ]]; then
  echo "== fuzz"
  ./scripts/fuzz.sh "$fuzz_seconds"
fi
