#!/usr/bin/env bash
# The full engine agreement on a remote engine's stand-in: 5 generated warehouses x 110 generated audiences (550),
# each evaluated on the engine and compared with the reference evaluator, every statement parsed by sqlglot in the
# engine's dialect. CI runs one warehouse (110 audiences) per engine as part of the suite; this runs all of them.
#   scripts/agreement.sh ENGINE       ENGINE: spark, redshift, snowflake, bigquery (after a build in ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${1:-}
case "$engine" in
  spark|redshift|snowflake|bigquery) ;;
  *) echo "usage: scripts/agreement.sh spark|redshift|snowflake|bigquery" >&2; exit 2 ;;
esac
cmake --build build --target agreement_remote_test >/dev/null
start=$(date +%s)
KITH_STANDIN_ENGINE=$engine KITH_AGREEMENT_SEEDS=11,22,33,44,55 build/test/agreement_remote_test --gtest_brief=1
echo "agreement on $engine: 5 warehouses x 110 audiences = 550 audiences in $(( $(date +%s) - start )) s"
