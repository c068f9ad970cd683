"""Schemathesis hooks of the API fuzz (scripts/api_fuzz.py loads them through SCHEMATHESIS_HOOKS).

KITH_API_FUZZ_KEYS (JSON, {"audiences": [...], "activations": [...]}): the keys that exist when the run starts. The
fuzzing phase draws an operation's {key} from them half of the time, so that the routes behind a key are exercised
beyond their 404 (random keys name nothing).

KITH_API_FUZZ_PROTECT (JSON, ["DELETE /api/v1/tokens/1", ...]): the requests that would revoke the run's own
credential (its API token, its user disabled, stripped of its roles or deleted). They are never generated (a case
that would send one is dropped), so that a destructive operation cannot turn the rest of the run into 401s; every
other id, the demo's owner's included, is fuzzed. A protected request that gets through anyway stops the run with
an error rather than going out.
"""
import json
import os

import schemathesis
from hypothesis import strategies as st

KEYS = json.loads(os.environ.get("KITH_API_FUZZ_KEYS", "{}"))
PROTECTED = set(json.loads(os.environ.get("KITH_API_FUZZ_PROTECT", "[]")))


def _request_line(case) -> str:
    path = case.operation.path
    for name, value in (case.path_parameters or {}).items():
        path = path.replace("{" + name + "}", str(value))
    return f"{case.method.upper()} {path}"


def _known_keys(operation) -> list:
    if operation.path.startswith("/api/v1/audiences/{key}"):
        return KEYS.get("audiences", [])
    if operation.path.startswith("/api/v1/activations/{key}"):
        return KEYS.get("activations", [])
    return []


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    keys = _known_keys(context.operation) if context.operation is not None else []
    if not keys or not isinstance(path_parameters, dict) or "key" not in path_parameters:
        return st.just(path_parameters)
    known = st.sampled_from(keys).map(lambda key: {**path_parameters, "key": key})
    return st.one_of(st.just(path_parameters), known)


@schemathesis.hook
def filter_case(context, case):
    return _request_line(case) not in PROTECTED


@schemathesis.hook
def before_call(context, case, kwargs):
    line = _request_line(case)
    if line in PROTECTED:
        raise RuntimeError(f"api fuzz: {line} would revoke the run's own credential and must not be sent")
