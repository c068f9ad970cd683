#!/usr/bin/env bash
# Fetches Segment's published destinations package into DIR (a build folder) for segment_reference_test, which
# checks kith's Braze, Iterable and Segment destinations against it: the package at the version pinned below, with
# `npm pack`, checked against the registry's integrity hash and the pinned copy of it, its Braze, Iterable and
# Segment destinations (and the dayjs setup they load) unpacked into DIR/package; then `npm ci` in DIR from
# test/segment_reference/package-lock.json (Segment's actions-core and the few packages those destinations load;
# fast-uri is held at 3.1.5, as later versions refuse the schema names actions-core gives ajv). Nothing is kept in
# the repository. Skipped when DIR already holds this version and lockfile.
#   scripts/segment_reference.sh DIR     (scripts/setup.sh runs it for build/segment-reference)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
DIR=${1:?usage: scripts/segment_reference.sh DIR}
PKG="@segment/action-destinations@3.497.0"
SRI="sha512-b9DztTrR1XrfBu/0UyUgTXNfv7s5gpjBPO/w7C8aW6IHsSMSMte7wNdVHzGsujJ4P43g7cKsWb5zuV2BdVn/UA=="
lock="$here/test/segment_reference/package-lock.json"
want="$PKG $SRI $(openssl dgst -sha256 -r "$lock" "$here/test/segment_reference/package.json" | cut -d' ' -f1 | tr '\n' ' ')"
if [[ -f "$DIR/.stamp" && "$(cat "$DIR/.stamp")" == "$want" ]]; then
  exit 0
fi
echo "segment_reference: fetching $PKG and its test dependencies into $DIR"
mkdir -p "$DIR"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
registry=$(npm view "$PKG" dist.integrity 2>/dev/null || true)
if [[ -n "$registry" && "$registry" != "$SRI" ]]; then
  echo "segment_reference: the registry's integrity for $PKG ($registry) differs from the pinned one" >&2; exit 1
fi
file=$(cd "$work" && npm pack --silent "$PKG" | tail -1)
got="sha512-$(openssl dgst -sha512 -binary "$work/$file" | base64 -w0)"
if [[ "$got" != "$SRI" ]]; then
  echo "segment_reference: $PKG: downloaded tarball hash $got does not match $SRI" >&2; exit 1
fi
rm -rf "$DIR/package" "$DIR/.stamp"
tar -xzf "$work/$file" -C "$DIR" package/package.json package/dist/lib \
  package/dist/destinations/braze package/dist/destinations/iterable package/dist/destinations/segment
cp "$here/test/segment_reference/package.json" "$lock" "$DIR/"
(cd "$DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
echo "$want" > "$DIR/.stamp"
echo "segment_reference: $PKG ready in $DIR"
