"""The API fuzz: schemathesis over every operation of the OpenAPI document that a `kith demo` of its own serves,
once with an admin API token and once without credentials; then /healthz, a clean stop, and a summary.
scripts/api_fuzz.sh runs it with .venv's Python inside a network namespace whose only interface is the loopback.

Checks: not_a_server_error (no 5xx), status_code_conformance (every status is one the document lists for the
operation), content_type_conformance and response_schema_conformance (every answer's type and body match the
document). Phases: examples, coverage (boundary and invalid values of every parameter and body, the same each run)
and fuzzing (N examples per operation, valid and invalid, from the seed). The stateful phase is off: the document
declares no links, and schemathesis' inference of them would cost more than both runs together.

What would sabotage the rest of a run: deleting, disabling or re-roling the run's own user, or revoking its token.
The credential is a Workspace Owner and an API token of the run's own (the demo's owner is fuzzed like any user),
and api_fuzz_hooks.py drops exactly the requests that would revoke it. Signing out with an API token ends no
session; without credentials each of them is a 401.

Prints schemathesis' report of each run (every failure with a curl line that reproduces it), then a summary:
operations, test cases and failures per run, /healthz and the exit code of `kith demo`. Exit status 0 when both
runs found nothing, the service answered /healthz 200 and stopped with 0; else 1.
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
FUZZ_EMAIL = "api-fuzz@kith.local"
FUZZ_PASSWORD = "api-fuzz-password"


def parse_args():
    p = argparse.ArgumentParser(prog="scripts/api_fuzz.sh", description="A property-based fuzz of kith's API.")
    p.add_argument("--examples", type=int, default=25, help="fuzzing examples per operation and run (default 25)")
    p.add_argument("--seed", type=int, default=1, help="schemathesis' seed (default 1)")
    p.add_argument("--kith", default=str(REPO / "build" / "kith"), help="the kith binary (default build/kith)")
    p.add_argument("--profiles", type=int, default=800, help="profiles of the demo warehouse (default 800)")
    p.add_argument("--keep", help="keep the demo folder, the service's log and the reports in this folder")
    return p.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """A JSON client of the service on 127.0.0.1; `headers` go with every request."""

    def __init__(self, port: int):
        self.port = port
        self.headers = {}

    def call(self, method: str, path: str, body=None):
        """(status, parsed JSON body or None, the response)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = dict(self.headers)
        data = None
        if method != "GET":
            headers["Content-Type"] = "application/json"
            data = b"" if body is None else json.dumps(body).encode()
        try:
            conn.request(method, path, body=data, headers=headers)
            r = conn.getresponse()
            text = r.read()
            return r.status, (json.loads(text) if text else None), r
        finally:
            conn.close()

    def expect(self, status: int, method: str, path: str, body=None):
        got, j, r = self.call(method, path, body)
        if got != status:
            raise SystemExit(f"api fuzz: {method} {path} answered {got}, not {status}: {j}")
        return j, r

    def sign_in(self, email: str, password: str):
        """Signs in with a session cookie and its CSRF token."""
        j, r = self.expect(200, "POST", "/api/v1/auth/login", {"email": email, "password": password})
        self.headers = {"Cookie": r.getheader("Set-Cookie").split(";")[0], "X-CSRF-Token": j["csrf_token"]}


def start_demo(kith: str, work: Path, port: int, profiles: int):
    log = open(work / "kith.log", "wb")
    return subprocess.Popen([kith, "demo", "--dir", str(work / "demo"), "--port", str(port), "--profiles",
                             str(profiles)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_healthy(proc, api: Api, seconds: float):
    """Polls /healthz until it answers 200 (the demo first generates its warehouse)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"api fuzz: kith demo exited with {proc.returncode} before it served")
        try:
            if api.call("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"api fuzz: /healthz did not answer 200 within {seconds:.0f} s")


def make_credentials(port: int, demo: Path):
    """A Workspace Owner of the run's own and an API token of theirs; the requests that would revoke either."""
    password = next(line[len("password: "):] for line in (demo / "credentials.txt").read_text().splitlines()
                    if line.startswith("password: "))
    owner = Api(port)
    owner.sign_in("owner@kith.local", password)
    user, _ = owner.expect(201, "POST", "/api/v1/users", {"email": FUZZ_EMAIL, "name": "API fuzz",
                                                           "password": FUZZ_PASSWORD, "roles": ["workspace_owner"]})
    fuzz = Api(port)
    fuzz.sign_in(FUZZ_EMAIL, FUZZ_PASSWORD)
    token, _ = fuzz.expect(201, "POST", "/api/v1/tokens", {"name": "api fuzz"})
    protect = [f"PUT /api/v1/users/{user['id']}", f"DELETE /api/v1/users/{user['id']}",
               f"DELETE /api/v1/tokens/{token['id']}"]
    return token["token"], protect


def known_keys(api: Api):
    audiences, _ = api.expect(200, "GET", "/api/v1/audiences")
    activations, _ = api.expect(200, "GET", "/api/v1/activations")
    return {"audiences": [a["key"] for a in audiences["items"]],
            "activations": [a["key"] for a in activations["items"]]}


def run_schemathesis(name: str, args, work: Path, port: int, env: dict, extra: list) -> dict:
    """One schemathesis run over the served document; its JSON report."""
    report = work / f"report-{name}.json"
    cmd = [str(Path(sys.executable).parent / "schemathesis"), "run", str(work / "openapi.json"),
           "--url", f"http://127.0.0.1:{port}", "--checks", CHECKS, "--phases", "examples,coverage,fuzzing",
           "--max-examples", str(args.examples), "--seed", str(args.seed), "--workers", "1",
           "--generation-database", "none", "--request-timeout", "30", "--no-color", "--output-sanitize", "false",
           "--report", "json", "--report-json-path", str(report), *extra]
    print(f"== api fuzz: {name}", flush=True)
    subprocess.run(cmd, env=env, cwd=work, stdin=subprocess.DEVNULL)
    if not report.exists():
        raise SystemExit(f"api fuzz: schemathesis wrote no report for the run {name}")
    return json.loads(report.read_text())


def stop(proc) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -1


def server_errors(log: Path) -> list:
    """The request lines of the service's log that answered 5xx."""
    return [line for line in log.read_text(errors="replace").splitlines()
            if line.startswith("{") and '"status":5' in line.replace(" ", "")]


def describe(name: str, report: dict) -> tuple:
    """A run's summary lines, and its operations tested, test cases and failures (errors included)."""
    ops, cases = report["operations"], report["test_cases"]
    failures = sum(f["count"] for f in report["failures"]) + len(report["errors"])
    lines = [f"  {name}: {ops['tested']} of {ops['total']} operations tested, {cases['generated']} test cases, "
             f"{failures} failures ({report['running_time']:.0f} s)"]
    lines += [f"      {f['code']} {f['title']}: {', '.join(f['operations'])}" for f in report["failures"]]
    lines += [f"      error: {json.dumps(e)[:300]}" for e in report["errors"]]
    return lines, ops["tested"], cases["generated"], failures


def main() -> int:
    args = parse_args()
    if not os.access(args.kith, os.X_OK):
        raise SystemExit(f"api fuzz: no kith binary at {args.kith} (build it first, or pass --kith)")
    started = time.monotonic()
    work = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="kith-api-fuzz-"))
    if args.keep:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    port = free_port()
    proc = start_demo(args.kith, work, port, args.profiles)
    ok = False
    try:
        api = Api(port)
        wait_healthy(proc, api, 180)
        token, protect = make_credentials(port, work / "demo")
        api.headers = {"Authorization": f"Bearer {token}"}
        doc, _ = api.expect(200, "GET", "/api/v1/openapi.json")
        # From a file: loaded from its URL, schemathesis leaves out the operation that serves the document.
        (work / "openapi.json").write_text(json.dumps(doc))
        env = dict(os.environ, SCHEMATHESIS_HOOKS=str(REPO / "scripts" / "api_fuzz_hooks.py"),
                   KITH_API_FUZZ_KEYS=json.dumps(known_keys(api)), KITH_API_FUZZ_PROTECT=json.dumps(protect))
        reports = {
            "with an admin API token": run_schemathesis("token", args, work, port, env,
                                                        ["-H", f"Authorization: Bearer {token}"]),
            "without credentials": run_schemathesis("nocredentials", args, work, port, env, []),
        }
        health, body, _ = Api(port).call("GET", "/healthz")
        code = stop(proc)
        print(f"== api fuzz: seed {args.seed}, {args.examples} examples per operation")
        operations = examples = failures = 0
        for name, report in reports.items():
            lines, tested, generated, failed = describe(name, report)
            print("\n".join(lines))
            operations, examples, failures = operations + tested, examples + generated, failures + failed
        print(f"  /healthz after the runs: {health} {json.dumps(body)}; kith demo stopped with exit code {code}")
        errors = server_errors(work / "kith.log")
        if errors:
            print(f"  the service's log has {len(errors)} requests answered 5xx; the first ones:")
            print("\n".join("    " + e[:400] for e in errors[:20]))
        ok = failures == 0 and health == 200 and code == 0
        print(f"api fuzz: {'passed' if ok else 'FAILED'}: {operations} operations, {examples} test cases, "
              f"{failures} failures in {time.monotonic() - started:.0f} s")
    finally:
        if proc.poll() is None:
            stop(proc)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
