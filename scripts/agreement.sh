#!/usr/bin/env bash
# The full engine agreement on Apache Spark: 5 generated warehouses x 110 generated audiences (550), each evaluated
# on the local Spark stand-in and compared with the reference evaluator, every statement parsed by sqlglot.
# CI runs one warehouse (110 audiences) as part of the suite; this script runs all of them and prints the tally.
#   scripts/agreement_spark.sh        (after scripts/test.sh or a build in ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target agreement_spark_test >/dev/null
start=$(date +%s)
KITH_SPARK_AGREEMENT_SEEDS=11,22,33,44,55 build/test/agreement_spark_test --gtest_brief=1
echo "agreement on Spark: 5 warehouses x 110 audiences = 550 audiences in $(( $(date +%s) - start )) s"
