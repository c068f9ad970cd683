#!/usr/bin/env bash
# The web app's tests: npm ci when the lockfile changed, the build (which regenerates the typed API client from
# src/api/openapi.json and type-checks), the Vitest unit tests, then the end-to-end tests: each test file starts its
# own `kith demo` (a free port, a temp folder, a 2,000-profile warehouse) and drives Debian's chromium with
# playwright-core. Screenshots of each screen land in web/e2e/screenshots/ (git-ignored).
#   scripts/web_test.sh                 (KITH_BIN=path/to/kith, default build/kith; CHROMIUM_BIN, default /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/../web"
export KITH_BIN="${KITH_BIN:-$PWD/../build/kith}"
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== web: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "== web: build"
npm run build --silent
echo "== web: unit tests (vitest)"
npx vitest run
echo "== web: end-to-end tests (chromium)"
rm -rf e2e/screenshots
node --test --test-concurrency=1 --test-timeout=300000 e2e/
echo "== web: screenshots in web/e2e/screenshots/"
ls e2e/screenshots
