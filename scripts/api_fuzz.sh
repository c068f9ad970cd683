#!/usr/bin/env bash
# A property-based fuzz of every operation of the API's OpenAPI document: schemathesis (PyPI, pinned in
# scripts/requirements.lock, installed into .venv by scripts/setup.sh) against a `kith demo` of its own (a free port,
# a temp folder, an 800-profile warehouse), once with an admin API token and once without credentials. It fails on
# any 5xx, any status the document does not list for the operation, any answer whose content type or body breaks the
# document, or a service that is not healthy or does not stop cleanly afterwards. The same seed and example count
# send the same requests. What each run checks and how destructive operations are kept from revoking the run's own
# credential: scripts/api_fuzz.py. It builds nothing: the kith binary is build/kith unless --kith names another.
#
# The service and the fuzzer run in a network namespace of their own whose only interface is the loopback: the
# fuzzer creates activations and alerts with destinations anywhere, and whatever the service then sends can reach
# nothing but 127.0.0.1 of that namespace.
#   scripts/api_fuzz.sh [--examples N] [--seed S] [--kith PATH] [--profiles N] [--keep DIR]
#   (KITH_VENV: the Python environment with schemathesis, default .venv)
set -euo pipefail
self="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
root="$(dirname "$self")/.."
venv="${KITH_VENV:-$root/.venv}"
if [[ ! -x "$venv/bin/schemathesis" ]]; then
  echo "api fuzz: no schemathesis in $venv (scripts/setup.sh venv installs scripts/requirements.lock there)" >&2
  exit 2
fi
if [[ -z "${KITH_API_FUZZ_NETNS:-}" ]]; then
  # Root makes the namespace directly; another user maps itself to root in a user namespace first.
  ns=(--net)
  [[ $(id -u) -ne 0 ]] && ns=(--map-root-user --net)
  exec env KITH_API_FUZZ_NETNS=1 unshare "${ns[@]}" "$self" "$@"
fi
ip link set lo up
exec "$venv/bin/python" "$root/scripts/api_fuzz.py" "$@"
