#!/usr/bin/env bash
# Sets up everything kith needs on a fresh Debian 12 machine, idempotently:
# the Debian packages below, then DuckDB 1.4.4 LTS (C API header and shared
# library) fetched from the npm registry with `npm pack`, checked against the
# registry's integrity hash and a pinned copy of it, unpacked into .deps/;
# then the web app: `npm ci` from web/package-lock.json and `npm run build`
# into web/dist (skipped when neither the app's sources nor the OpenAPI
# document changed since the last build); then Segment's destinations package
# for segment_reference_test, into build/segment-reference
# (scripts/segment_reference.sh: the pinned version with `npm pack`, hash-checked,
# and `npm ci` from test/segment_reference/package-lock.json); then the Python environment of the
# tests in .venv (pyspark, the Spark stand-in; sqlglot; schemathesis, the API
# fuzz's), installed from
# PyPI with pip from scripts/requirements.lock, every file hash-checked
# (skipped when the lock did not change); then the Snowflake stand-in's own
# environment in .venv-snowflake (fakesnow), from PyPI wheels with pip from
# scripts/requirements-snowflake.lock, hash-checked the same way. Nothing else
# is downloaded.
#
# `scripts/setup.sh venv` does only the Debian packages, .venv and
# .venv-snowflake (what scripts/standin.sh needs; .venv-snowflake is the
# Snowflake stand-in's, from scripts/requirements-snowflake.lock).
set -euo pipefail
cd "$(dirname "$0")/.."
ONLY="${1:-all}"

# Debian packages; README.md says why each one is here.
APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  clang-19 libclang-rt-19-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libfmt-dev libcli11-dev
  openssl libssl-dev  # libssl-dev: SHA-256 for event messageIds
  libcurl4-openssl-dev  # HTTP destinations
  libcpp-httplib-dev    # the service's HTTP server (the API) and the tests' local HTTP servers
  libsodium-dev         # Argon2id password hashes and random tokens of the API
  python3-aiosmtpd      # the tests' local SMTP server (alert emails), run by /usr/bin/python3
  libpq-dev
  libxml2-dev  # libxml2: the XML answers of AWS's Query APIs (Redshift's GetClusterCredentials, IAM login)
  libthrift-dev thrift-compiler  # Apache Thrift: the HiveServer2 protocol of Spark's Thrift server and Databricks SQL warehouses
  libboost-dev  # headers that Thrift's C++ library includes
  libtomlplusplus-dev libsqlite3-dev libyaml-cpp-dev
  postgresql  # server binaries (initdb, pg_ctl) for the tests' throwaway servers
  libhowardhinnant-date-dev tzdata  # IANA time zones for day-and-time schedules (g++ 12 has no std::chrono::zoned_time)
  chromium  # the web app's end-to-end tests drive it with playwright-core (no browser download)
  python3-venv openjdk-17-jre-headless  # .venv below; Java runs the Spark stand-in (scripts/standin.sh)
  iproute2  # `ip link set lo up` in the API fuzz's network namespace (scripts/api_fuzz.sh)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js with npm fetches DuckDB below (and, later, builds the web app);
# the machine image may ship its own build of it, so look for the command.
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The tests' Python environment in .venv: `pip install --require-hashes` of scripts/requirements.lock (how it
# is made is written in it). pyspark is a source archive that pip builds into a wheel with the lock's pinned
# setuptools, installed first, so the build is hash-checked too (--no-build-isolation: nothing unpinned is
# fetched for it). A stamp with the lock's hash skips it when nothing changed; a lock file makes concurrent
# callers (scripts/standin.sh from parallel tests) wait for one install.
setup_venv() {
  local venv=.venv lock=scripts/requirements.lock want fd
  want="$(openssl dgst -sha256 -r "$lock" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0])')"
  mkdir -p "$venv"
  exec {fd}>"$venv/.setup.lock"
  flock "$fd"
  if [[ -f "$venv/.stamp" && "$(cat "$venv/.stamp")" == "$want" ]] && "$venv/bin/python" -c '' 2>/dev/null; then
    echo "setup: .venv is up to date with $lock"
  else
    echo "setup: installing $lock into .venv (pyspark is a 456 MB download built into a wheel: about a minute the first time)"
    rm -f "$venv/.stamp"
    "$venv/bin/python" -c '' 2>/dev/null || python3 -m venv "$venv"
    grep -E '^setuptools==' "$lock" > "$venv/.build-requirements.txt"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$venv/.build-requirements.txt"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-build-isolation -r "$lock"
    echo "$want" > "$venv/.stamp"
    echo "setup: .venv ready"
  fi
  exec {fd}>&-
}
# The Snowflake stand-in's environment in .venv-snowflake (scripts/standin/snowflake.sh runs
# test/support/snowflake_standin.py with it): `pip install --require-hashes --only-binary=:all:` of
# scripts/requirements-snowflake.lock, wheels only. A venv of its own because fakesnow pins sqlglot and duckdb
# versions other than .venv's. Same stamp and lock file as setup_venv.
setup_venv_snowflake() {
  local venv=.venv-snowflake lock=scripts/requirements-snowflake.lock want fd
  want="$(openssl dgst -sha256 -r "$lock" | cut -d' ' -f1) $(python3 -c 'import sys; print(sys.version.split()[0])')"
  mkdir -p "$venv"
  exec {fd}>"$venv/.setup.lock"
  flock "$fd"
  if [[ -f "$venv/.stamp" && "$(cat "$venv/.stamp")" == "$want" ]] && "$venv/bin/python" -c '' 2>/dev/null; then
    echo "setup: .venv-snowflake is up to date with $lock"
  else
    echo "setup: installing $lock into .venv-snowflake (fakesnow, DuckDB, pyarrow: about 150 MB of wheels)"
    rm -f "$venv/.stamp"
    "$venv/bin/python" -c '' 2>/dev/null || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --only-binary=:all: -r "$lock"
    echo "$want" > "$venv/.stamp"
    echo "setup: .venv-snowflake ready"
  fi
  exec {fd}>&-
}
if [[ "$ONLY" == venv ]]; then
  setup_venv
  setup_venv_snowflake
  exit 0
fi

# DuckDB 1.4.4 LTS. Pinned integrity hashes (sha512, as the npm registry
# publishes them in dist.integrity).
DUCKDB_VERSION=1.4.4
HEADER_PKG="duckdb@1.4.4"
HEADER_SRI="sha512-hEJJ5hyVF0VLj3dmOLpsWrQR0b3d4Ykqtygm6iUXjHJDDnSqg/USKxcb5qvNrOhFYPgktayU6dXCtgPqcmmpog=="
LIB_PKG="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
LIB_SRI="sha512-jBTL/WvfwxLToFa/pVHfT6elMtltJGnc3wSuxZD9OfMltit9YUdVFS37vBFQzXMT1Z8OWjtSjMh+zPKxOwHLHA=="

DEST=.deps/duckdb
STAMP="$DEST/.stamp"
WANT_STAMP="$DUCKDB_VERSION $HEADER_SRI $LIB_SRI"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT_STAMP" && -f "$DEST/include/duckdb.h" && -f "$DEST/lib/libduckdb.so" ]]; then
  echo "setup: DuckDB $DUCKDB_VERSION present in $DEST"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  fetch() { # package pinned-sri -> path of verified tarball
    local pkg=$1 pinned=$2 registry file got
    registry=$(npm view "$pkg" dist.integrity 2>/dev/null || true)
    if [[ -n "$registry" && "$registry" != "$pinned" ]]; then
      echo "setup: the registry's integrity for $pkg ($registry) differs from the pinned one" >&2; exit 1
    fi
    file=$(cd "$work" && npm pack --silent "$pkg" | tail -1)
    got="sha512-$(openssl dgst -sha512 -binary "$work/$file" | base64 -w0)"
    if [[ "$got" != "$pinned" ]]; then
      echo "setup: $pkg: downloaded tarball hash $got does not match $pinned" >&2; exit 1
    fi
    echo "$work/$file"
  }
  echo "setup: fetching DuckDB $DUCKDB_VERSION from the npm registry"
  header_tgz=$(fetch "$HEADER_PKG" "$HEADER_SRI")
  lib_tgz=$(fetch "$LIB_PKG" "$LIB_SRI")
  rm -rf "$DEST"; mkdir -p "$DEST/include" "$DEST/lib"
  tar -xzf "$header_tgz" -C "$work" package/src/duckdb/src/include/duckdb.h package/LICENSE
  cp "$work/package/src/duckdb/src/include/duckdb.h" "$DEST/include/"
  cp "$work/package/LICENSE" "$DEST/LICENSE"
  rm -rf "$work/package"
  tar -xzf "$lib_tgz" -C "$work" package/libduckdb.so
  cp "$work/package/libduckdb.so" "$DEST/lib/"
  echo "$WANT_STAMP" > "$STAMP"
  echo "setup: DuckDB $DUCKDB_VERSION installed in $DEST"
fi

# The web app (web/README.md): dependencies from the committed lockfile, then the build into web/dist, which
# `kith serve` and `kith demo` serve. Each step is skipped when its inputs did not change.
web_inputs_hash() {
  (cd web && cat package-lock.json package.json index.html vite.config.ts tsconfig.json postcss.config.cjs ../src/api/openapi.json \
     $(find src public -type f ! -name schema.d.ts | LC_ALL=C sort) | openssl dgst -sha256 -r | cut -d' ' -f1)
}
if [[ ! -f web/node_modules/.package-lock.json || web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
  echo "setup: npm ci (web)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
want=$(web_inputs_hash)
if [[ -f web/dist/index.html && -f web/dist/.inputs && "$(cat web/dist/.inputs)" == "$want" ]]; then
  echo "setup: web/dist is up to date"
else
  echo "setup: building the web app into web/dist"
  (cd web && npm run build --silent)
  echo "$want" > web/dist/.inputs
fi

# Segment's destinations package, which segment_reference_test compares kith's Braze, Iterable and Segment
# destinations with, into the build folder scripts/test.sh uses (the build fetches it for other folders).
./scripts/segment_reference.sh build/segment-reference

setup_venv
setup_venv_snowflake
