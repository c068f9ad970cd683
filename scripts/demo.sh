#!/usr/bin/env bash
# Sets everything up, builds kith and starts it on its embedded default
# (DuckDB with generated demo data in ./kith-demo).
#   scripts/demo.sh [kith demo options]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target kith
exec build/kith demo "$@"
