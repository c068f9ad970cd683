#!/usr/bin/env python3
"""Checks the BigQuery stand-in (test/support/bigquery_standin.py) end to end, as a client of its HTTP API.

  .venv/bin/python test/support/bigquery_standin_check.py      # starts it with scripts/standin.sh if needed

It uses `scripts/standin.sh start bigquery` (KITH_STANDIN_DIR is honoured), signs a JWT with the generated
service-account key, exchanges it at the token endpoint, and then checks: DDL with every type, inserts with
NULLs, quotes, backslashes and non-ASCII text, read-back with paging (page_rows 3) and BigQuery's value
encodings, INFORMATION_SCHEMA.COLUMNS with BigQuery's type names, query parameters, a delayed statement
(jobComplete false, then complete through getQueryResults), cancel, requestId idempotency after
drop_after_execute, 401 for missing/bad/expired tokens, token renewal after a short lifetime, the injected
faults (429 + Retry-After, 403, 500, 503, drop), errors (invalidQuery 400, notFound 404), and SQL of the
shapes kith sends. It uses a project id of its own, so its faults and counters do not touch other tests.
Prints one line per check; exit status 0 when all pass.
"""
import base64
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROJECT = "check-%d" % os.getpid()
FAILS = []


def check(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else "  -- %s" % (detail,)))
    if not cond:
        FAILS.append(name)


def start():
    out = subprocess.run([os.path.join(ROOT, "scripts", "standin.sh"), "start", "bigquery"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    env = {}
    for line in out.splitlines():
        name, _, value = line[len("export "):].partition("=")
        env[name] = value.strip("'")
    return env


class Client:
    def __init__(self, endpoint, key):
        u = urllib.parse.urlsplit(endpoint)
        self.host, self.port = u.hostname, u.port
        self.key = key
        self.token = None

    def request(self, method, path, body=None, headers=None, raw=False):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            h = dict(headers or {})
            data = None
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                h.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            text = resp.read()
            if raw:
                return resp.status, text, resp
            return resp.status, (json.loads(text) if text else None), resp
        finally:
            conn.close()

    def assertion(self, key=None, **over):
        key = key or self.key
        now = int(time.time())
        claims = {"iss": key["client_email"], "scope": "https://www.googleapis.com/auth/bigquery",
                  "aud": key["token_uri"], "iat": now, "exp": now + 3600}
        claims.update(over)
        return jwt.encode(claims, key["private_key"], algorithm="RS256", headers={"kid": key["private_key_id"]})

    def get_token(self, assertion=None):
        form = urllib.parse.urlencode({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                       "assertion": assertion or self.assertion()}).encode()
        u = urllib.parse.urlsplit(self.key["token_uri"])
        path = u.path + ("?" + u.query if u.query else "")
        return self.request("POST", path, form, {"Content-Type": "application/x-www-form-urlencoded"})

    def login(self):
        status, body, _ = self.get_token()
        assert status == 200, body
        self.token = body["access_token"]
        return body

    def api(self, method, path, body=None, token=None):
        return self.request(method, "/bigquery/v2/projects/%s%s" % (PROJECT, path), body,
                            {"Authorization": "Bearer " + (token or self.token)})

    def query(self, sql, **extra):
        body = {"query": sql, "useLegacySql": False, "defaultDataset": {"projectId": PROJECT, "datasetId": "kith"},
                "formatOptions": {"useInt64Timestamp": True}, "location": "US"}
        body.update(extra)
        return self.api("POST", "/queries", body)

    def run(self, sql, **extra):
        """Runs to completion and fetches every page; (status, first answer, all rows)."""
        status, ans, _ = self.query(sql, **extra)
        if status != 200:
            return status, ans, None
        job = ans["jobReference"]["jobId"]
        while not ans.get("jobComplete"):
            status, ans, _ = self.api("GET", "/queries/%s?location=US&timeoutMs=1000" % job)
            if status != 200:
                return status, ans, None
        first = ans
        rows = list(ans.get("rows", []))
        while ans.get("pageToken"):
            status, ans, _ = self.api("GET", "/queries/%s?location=US&pageToken=%s&formatOptions.useInt64Timestamp=true"
                                      % (job, urllib.parse.quote(ans["pageToken"])))
            if status != 200:
                return status, ans, None
            rows.extend(ans.get("rows", []))
        return 200, first, [[c["v"] for c in r["f"]] for r in rows]

    def admin(self, method, what, body=None, scope=PROJECT):
        path = "/_standin/%s" % what + ("?scope=%s" % scope if scope else "")
        return self.request(method, path, body)[1]


def main():
    env = start()
    with open(env["GOOGLE_APPLICATION_CREDENTIALS"]) as f:
        key = json.load(f)
    endpoint = urllib.parse.parse_qs(urllib.parse.urlsplit(env["KITH_WAREHOUSE"]).query)["endpoint"][0]
    check("key file is 0600", os.stat(env["GOOGLE_APPLICATION_CREDENTIALS"]).st_mode & 0o777 == 0o600)
    check("key file fields", key["type"] == "service_account" and key["project_id"] == "standin-project"
          and key["client_email"] == "kith@standin-project.iam.gserviceaccount.com"
          and key["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
          and key["token_uri"] == endpoint + "/token", key.keys())
    c = Client(endpoint, key)
    c.admin("DELETE", "faults")
    c.admin("DELETE", "stats")

    # --- OAuth --------------------------------------------------------------------------------------------
    tok = c.login()
    check("token answer", tok["token_type"] == "Bearer" and tok["expires_in"] == 3599 and tok["access_token"], tok)
    other = dict(key, private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
    s, b, _ = c.get_token(c.assertion(other))
    check("token: bad signature 400 invalid_grant", s == 400 and b == {"error": "invalid_grant",
                                                                       "error_description": "Invalid JWT Signature."}, b)
    s, b, _ = c.get_token(c.assertion(aud="https://oauth2.googleapis.com/token"))
    check("token: wrong aud", s == 400 and b["error"] == "invalid_grant", b)
    s, b, _ = c.get_token(c.assertion(scope="https://www.googleapis.com/auth/devstorage.read_only"))
    check("token: wrong scope", s == 400 and b["error"] == "invalid_scope", b)
    now = int(time.time())
    s, b, _ = c.get_token(c.assertion(iat=now, exp=now + 7200))
    check("token: exp too far", s == 400 and b["error"] == "invalid_grant" and "iat and exp" in b["error_description"], b)
    s, b, _ = c.get_token(c.assertion(iat=now - 7200, exp=now - 3600))
    check("token: expired assertion", s == 400 and b["error"] == "invalid_grant", b)
    s, b, _ = c.get_token(c.assertion(iss="someone@else.iam.gserviceaccount.com"))
    check("token: unknown iss", s == 400 and b["error"] == "invalid_grant", b)

    # --- authentication of API calls ---------------------------------------------------------------------
    s, b, r = c.request("POST", "/bigquery/v2/projects/%s/queries" % PROJECT, {"query": "SELECT 1", "useLegacySql": False})
    check("api: no token 401", s == 401 and b["error"]["status"] == "UNAUTHENTICATED"
          and b["error"]["errors"][0]["reason"] == "authError" and r.getheader("WWW-Authenticate"), b)
    s, b, _ = c.api("POST", "/queries", {"query": "SELECT 1", "useLegacySql": False}, token="ya29.wrong")
    check("api: bad token 401", s == 401, b)
    with open(os.path.join(os.path.dirname(env["GOOGLE_APPLICATION_CREDENTIALS"]), "access_token")) as f:
        plain = f.read().strip()
    s, b, _ = c.api("POST", "/queries", {"query": "SELECT 40 + 2 AS x", "useLegacySql": False}, token=plain)
    check("api: plain access token", s == 200 and b["rows"][0]["f"][0]["v"] == "42", b)
    s, b, _ = c.api("POST", "/queries", {"query": "SELECT 1"})
    check("api: legacy SQL refused", s == 400 and b["error"]["errors"][0]["reason"] == "invalidQuery", b)

    # --- every type ------------------------------------------------------------------------------------------
    s, b, _ = c.query("DROP TABLE IF EXISTS kith.check_types")
    check("drop if exists", s == 200 and b["jobComplete"], b)
    s, b, _ = c.query("CREATE TABLE kith.check_types (id INT64, f FLOAT64, n NUMERIC, n2 NUMERIC(10, 2), "
                      "bn BIGNUMERIC, s STRING, b BOOL, d DATE, t TIME, dt DATETIME, ts TIMESTAMP, by BYTES)")
    check("create table with every type", s == 200 and b["jobComplete"] and "rows" not in b, b)
    insert = (r"""INSERT INTO kith.check_types (id, f, n, n2, bn, s, b, d, t, dt, ts, by) VALUES
      (1, 1.5, NUMERIC '12.345', 3.1, BIGNUMERIC '12345678901234567890.123456789012345678', 'it\'s', true,
       DATE '2024-01-02', TIME '10:00:00', DATETIME '2024-01-02 10:00:00', TIMESTAMP '2023-11-14 22:13:20+00', b'ab'),
      (2, 1e7, NUMERIC '-0.000000001', NULL, NULL, 'a\'b\\c', false, DATE '0001-01-01', TIME '23:59:59.5',
       DATETIME '2024-01-02 10:00:00.25', TIMESTAMP '2024-01-02 10:00:00.123456+00', b'\x00\xff'),
      (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (4, -0.1, 100, 99999999.99, 0, 'é中😀 "q" \n line', true, DATE '9999-12-31', TIME '00:00:00',
       DATETIME '9999-12-31 23:59:59.999999', TIMESTAMP '1969-12-31 23:59:59.999999+00', b''),
      (5, 3.0e-5, 1.5, 0.5, -1.5, '', false, DATE '2024-02-29', TIME '12:34:56.000001',
       DATETIME '2024-02-29 00:00:00', TIMESTAMP '2024-02-29 12:00:00-05', b'x'),
      (6, 100.0, 0.1, 1, 1, 'Z', true, DATE '2024-03-01', TIME '01:02:03', DATETIME '2024-03-01 01:02:03',
       TIMESTAMP '2024-03-01 01:02:03+00', b'y'),
      (7, 123456.789, 2, 2, 2, 'a', false, DATE '2024-03-02', TIME '01:02:04', DATETIME '2024-03-02 01:02:03',
       TIMESTAMP '2024-03-02 01:02:03+00', b'z')""")
    s, b, _ = c.query(insert, requestId=str(uuid.uuid4()))
    check("insert 7 rows: numDmlAffectedRows", s == 200 and b.get("numDmlAffectedRows") == "7", b)
    c.admin("POST", "faults", {"page_rows": 3})
    s, first, rows = c.run("SELECT * FROM kith.check_types ORDER BY id")
    check("read back: 200", s == 200, first)
    if s == 200:
        check("paging: 3 rows a page", len(first.get("rows", [])) == 3 and first.get("pageToken")
              and first["totalRows"] == "7" and len(rows) == 7, first)
        types = [(f["name"], f["type"], f["mode"]) for f in first["schema"]["fields"]]
        check("result schema types", [t for _, t, _ in types] == [
            "INTEGER", "FLOAT", "NUMERIC", "NUMERIC", "BIGNUMERIC", "STRING", "BOOLEAN", "DATE", "TIME",
            "DATETIME", "TIMESTAMP", "BYTES"] and all(m == "NULLABLE" for _, _, m in types), types)
        want = [
            ["1", "1.5", "12.345", "3.1", "12345678901234567890.123456789012345678", "it's", "true", "2024-01-02",
             "10:00:00", "2024-01-02T10:00:00", "1700000000000000", "YWI="],
            ["2", "1.0E7", "-0.000000001", None, None, "a'b\\c", "false", "0001-01-01", "23:59:59.500000",
             "2024-01-02T10:00:00.250000", "1704189600123456", "AP8="],
            ["3"] + [None] * 11,
            ["4", "-0.1", "100", "99999999.99", "0", 'é中😀 "q" \n line', "true", "9999-12-31", "00:00:00",
             "9999-12-31T23:59:59.999999", "-1", ""],
            ["5", "3.0E-5", "1.5", "0.5", "-1.5", "", "false", "2024-02-29", "12:34:56.000001",
             "2024-02-29T00:00:00", "1709226000000000", "eA=="],
            ["6", "100.0", "0.1", "1", "1", "Z", "true", "2024-03-01", "01:02:03", "2024-03-01T01:02:03",
             "1709254923000000", "eQ=="],
            ["7", "123456.789", "2", "2", "2", "a", "false", "2024-03-02", "01:02:04", "2024-03-02T01:02:03",
             "1709341323000000", "eg=="],
        ]
        for got, exp in zip(rows, want):
            check("values of row %s" % exp[0], got == exp, list(zip(got, exp)))
    s, b, _ = c.query("SELECT ts FROM kith.check_types WHERE id = 1", formatOptions={})
    check("TIMESTAMP without useInt64Timestamp: float seconds", s == 200 and b["rows"][0]["f"][0]["v"] == "1.7E9", b)
    c.admin("DELETE", "faults")
    s, b, _ = c.query("SELECT id FROM kith.check_types ORDER BY id", maxResults=2)
    check("maxResults pages", s == 200 and len(b["rows"]) == 2 and b.get("pageToken"), b)
    s, b, _ = c.api("GET", "/queries/%s?location=US&startIndex=5&maxResults=10" % b["jobReference"]["jobId"])
    check("getQueryResults startIndex", s == 200 and [r["f"][0]["v"] for r in b["rows"]] == ["6", "7"]
          and b["kind"] == "bigquery#getQueryResultsResponse", b)
    s, b, _ = c.query("SELECT MIN(s) AS m, MAX(s) AS x, COUNT(DISTINCT b) AS nb FROM kith.check_types")
    check("min/max text bytewise", s == 200 and [f["v"] for f in b["rows"][0]["f"]] == ["", "é中😀 \"q\" \n line", "2"], b)
    s, b, _ = c.query("SELECT CAST('1.123456789012345678901' AS BIGNUMERIC)")
    check("BIGNUMERIC literal that would round: error", s == 400, b)

    # --- INFORMATION_SCHEMA -----------------------------------------------------------------------------
    s, first, rows = c.run("SELECT column_name, data_type, ordinal_position, is_nullable FROM kith.INFORMATION_SCHEMA.COLUMNS "
                           "WHERE table_name = 'check_types' ORDER BY ordinal_position")
    check("INFORMATION_SCHEMA.COLUMNS types", s == 200 and [r[1] for r in rows] == [
        "INT64", "FLOAT64", "NUMERIC", "NUMERIC(10, 2)", "BIGNUMERIC", "STRING", "BOOL", "DATE", "TIME", "DATETIME",
        "TIMESTAMP", "BYTES"] and rows[0][2] == "1" and rows[0][3] == "YES", rows or first)
    s, first, rows = c.run("SELECT table_catalog, table_schema, table_name, table_type FROM `%s`.kith.INFORMATION_SCHEMA.TABLES "
                           "WHERE table_name = 'check_types'" % PROJECT)
    check("INFORMATION_SCHEMA.TABLES", s == 200 and rows == [[PROJECT, "kith", "check_types", "BASE TABLE"]], rows or first)
    s, first, rows = c.run("SELECT schema_name, location FROM `region-us`.INFORMATION_SCHEMA.SCHEMATA")
    check("region-us.INFORMATION_SCHEMA.SCHEMATA", s == 200 and ["kith", "US"] in rows, rows or first)
    s, b, _ = c.query("SELECT * FROM nosuch.INFORMATION_SCHEMA.COLUMNS")
    check("INFORMATION_SCHEMA of a missing dataset: 404", s == 404 and b["error"]["errors"][0]["reason"] == "notFound", b)

    # --- parameters ---------------------------------------------------------------------------------------
    s, first, rows = c.run("SELECT id FROM check_types WHERE s = @s OR id IN UNNEST(@ids) OR d = @d ORDER BY id",
                           parameterMode="NAMED", queryParameters=[
                               {"name": "s", "parameterType": {"type": "STRING"}, "parameterValue": {"value": "a'b\\c"}},
                               {"name": "ids", "parameterType": {"type": "ARRAY", "arrayType": {"type": "INT64"}},
                                "parameterValue": {"arrayValues": [{"value": "6"}, {"value": "7"}]}},
                               {"name": "d", "parameterType": {"type": "DATE"}, "parameterValue": {"value": "2024-01-02"}}])
    check("named parameters", s == 200 and rows == [["1"], ["2"], ["6"], ["7"]], rows or first)

    # --- errors -----------------------------------------------------------------------------------------------
    s, b, _ = c.query("SELEC 1")
    e = (b or {}).get("error", {})
    check("syntax error: 400 invalidQuery", s == 400 and e.get("status") == "INVALID_ARGUMENT"
          and e["errors"][0]["reason"] == "invalidQuery" and e["errors"][0]["location"] == "q", b)
    s, b, _ = c.query("SELECT * FROM kith.no_such_table")
    check("missing table: 404 notFound", s == 404 and b["error"]["errors"][0]["reason"] == "notFound"
          and "no_such_table" in b["error"]["message"], b)
    s, b, _ = c.query("SELECT * FROM nosuchds.t")
    check("missing dataset: 404 notFound", s == 404 and b["error"]["errors"][0]["reason"] == "notFound", b)
    s, b, _ = c.query("SELECT 1/0")
    check("division by zero: 400", s == 400, b)
    s, b, _ = c.query("CREATE TABLE kith.check_types (a INT64)")
    check("existing table: 409 duplicate", s == 409 and b["error"]["errors"][0]["reason"] == "duplicate", b)

    # --- delayed statement, getQueryResults, cancel ---------------------------------------------------------
    c.admin("POST", "faults", {"delay_ms": 1500})
    s, b, _ = c.query("SELECT COUNT(*) AS n FROM kith.check_types", timeoutMs=200)
    check("delayed: jobComplete false, no rows", s == 200 and b["jobComplete"] is False and "rows" not in b, b)
    job = b["jobReference"]["jobId"]
    s, b, _ = c.api("GET", "/jobs/%s?location=US" % job)
    check("jobs.get while delayed: not DONE", s == 200 and b["status"]["state"] in ("PENDING", "RUNNING"), b)
    s, b, _ = c.api("GET", "/queries/%s?location=US&timeoutMs=5000" % job)
    check("delayed: getQueryResults completes", s == 200 and b["jobComplete"] and b["rows"][0]["f"][0]["v"] == "7", b)
    s, b, _ = c.api("GET", "/jobs/%s" % job)
    check("jobs.get: DONE", s == 200 and b["status"]["state"] == "DONE" and "errorResult" not in b["status"], b)

    before = c.admin("GET", "stats")
    c.admin("POST", "faults", {"delay_ms": 5000})
    s, b, _ = c.query("DELETE FROM kith.check_types WHERE true", timeoutMs=100)
    job = b["jobReference"]["jobId"]
    s, cb, _ = c.api("POST", "/jobs/%s/cancel?location=US" % job)
    check("cancel answer", s == 200 and cb["kind"] == "bigquery#jobCancelResponse", cb)
    s, b, _ = c.api("GET", "/jobs/%s?location=US" % job)
    check("cancelled: DONE with errorResult stopped", s == 200 and b["status"]["state"] == "DONE"
          and b["status"]["errorResult"]["reason"] == "stopped", b)
    s, b, _ = c.api("GET", "/queries/%s?location=US" % job)
    check("cancelled: getQueryResults answers stopped", s >= 400 and b["error"]["errors"][0]["reason"] == "stopped", b)
    s, b, _ = c.query("SELECT COUNT(*) FROM kith.check_types")
    after = c.admin("GET", "stats")
    check("cancelled statement did not run", b["rows"][0]["f"][0]["v"] == "7"
          and after["cancelled"] == before["cancelled"] + 1, (b, after))

    s, b, _ = c.query("SELECT COUNT(*) FROM UNNEST(GENERATE_ARRAY(1, 300000)) AS a CROSS JOIN "
                      "UNNEST(GENERATE_ARRAY(1, 300000)) AS b WHERE a + b = 7", timeoutMs=300)
    check("long statement: jobComplete false", s == 200 and b["jobComplete"] is False, b)
    job = b["jobReference"]["jobId"]
    t0 = time.time()
    c.api("POST", "/jobs/%s/cancel" % job)
    s, b, _ = c.api("GET", "/jobs/%s" % job)
    while b["status"]["state"] != "DONE" and time.time() - t0 < 10:
        time.sleep(0.1)
        s, b, _ = c.api("GET", "/jobs/%s" % job)
    check("running statement cancelled through DuckDB's interrupt", b["status"].get("errorResult", {}).get("reason")
          == "stopped" and time.time() - t0 < 5, b)

    # --- drop_after_execute + requestId ---------------------------------------------------------------------
    rid = str(uuid.uuid4())
    c.admin("POST", "faults", {"drop_after_execute": 1})
    try:
        s, b, _ = c.query("INSERT INTO kith.check_types (id) VALUES (100)", requestId=rid)
        dropped = False
    except (http.client.HTTPException, ConnectionError):
        dropped = True
    check("drop_after_execute: connection closed without answer", dropped)
    s, b, _ = c.query("INSERT INTO kith.check_types (id) VALUES (100)", requestId=rid)
    check("retry with the same requestId: same job's answer", s == 200 and b.get("numDmlAffectedRows") == "1", b)
    s, b, _ = c.query("SELECT COUNT(*) FROM kith.check_types WHERE id = 100")
    st = c.admin("GET", "stats")
    check("executed once", b["rows"][0]["f"][0]["v"] == "1" and st["executions_by_request_id"].get(rid) == 1, st)

    # --- faults ---------------------------------------------------------------------------------------------
    c.admin("POST", "faults", {"status": 429, "reason": "rateLimitExceeded", "retry_after": 1, "count": 1})
    s, b, r = c.query("SELECT 1")
    check("fault 429 + Retry-After", s == 429 and r.getheader("Retry-After") == "1"
          and b["error"]["errors"][0]["reason"] == "rateLimitExceeded" and b["error"]["status"] == "RESOURCE_EXHAUSTED", b)
    s, b, _ = c.query("SELECT 1")
    check("after the fault: 200", s == 200, b)
    c.admin("POST", "faults", {"status": 403, "reason": "rateLimitExceeded"})
    s, b, _ = c.query("SELECT 1")
    check("fault 403 rateLimitExceeded", s == 403 and b["error"]["errors"][0]["reason"] == "rateLimitExceeded", b)
    for code in (500, 503):
        c.admin("POST", "faults", {"status": code, "reason": "backendError"})
        s, b, _ = c.query("SELECT 1")
        check("fault %d backendError" % code, s == code and b["error"]["errors"][0]["reason"] == "backendError", b)
    c.admin("POST", "faults", {"status": 503, "reason": "backendError", "method": "GET", "path": "/queries/"})
    s, b, _ = c.query("SELECT 1")
    check("fault with method/path filter skips jobs.query", s == 200, b)
    s, b2, _ = c.api("GET", "/queries/%s" % b["jobReference"]["jobId"])
    check("fault with method/path filter hits getQueryResults", s == 503, b2)
    c.admin("POST", "faults", {"drop": 1})
    executed = c.admin("GET", "stats")["executed"]
    try:
        c.query("SELECT 1")
        dropped = False
    except (http.client.HTTPException, ConnectionError):
        dropped = True
    check("fault drop: closed, nothing executed", dropped and c.admin("GET", "stats")["executed"] == executed)

    c.admin("POST", "faults", {"status": 503, "reason": "backendError", "path": "/token"}, scope=None)
    s, b, _ = c.get_token()
    check("fault on the token endpoint", s == 503, b)
    s, b, _ = c.get_token()
    check("token endpoint after the fault", s == 200, b)

    # --- expired tokens -------------------------------------------------------------------------------------
    c.admin("POST", "faults", {"expire_token": 1})
    s, b, _ = c.query("SELECT 1")
    check("expire_token: 401", s == 401, b)
    s, b, _ = c.query("SELECT 1")
    check("expired token stays expired", s == 401, b)
    c.login()
    s, b, _ = c.query("SELECT 1")
    check("new token works", s == 200, b)
    scoped = dict(key, token_uri=key["token_uri"] + "?scope=" + PROJECT)
    c.key = scoped
    c.admin("POST", "faults", {"token_lifetime_s": 2})
    t = c.login()
    check("token_lifetime_s: expires_in", t["expires_in"] == 1, t)
    check("token endpoint scoped by ?scope=", c.admin("GET", "stats")["tokens_issued"] == 1, c.admin("GET", "stats"))
    s, b, _ = c.query("SELECT 1")
    check("short-lived token works at first", s == 200, b)
    time.sleep(2.2)
    s, b, _ = c.query("SELECT 1")
    check("short-lived token expires: 401", s == 401, b)
    c.admin("DELETE", "faults")
    c.key = key
    c.login()

    # --- SQL of the shapes kith sends -----------------------------------------------------------------------
    shapes = [
        ("CREATE TABLE kith.`Events` (`UserId` STRING, ts TIMESTAMP, kind STRING, amount NUMERIC, d STRING)", None),
        ("INSERT INTO kith.`Events` (`UserId`, ts, kind, amount, d) VALUES ('u1', TIMESTAMP '2024-01-01 10:00:00+00', "
         "'buy', 10.5, '2024-01-02'), ('u1', TIMESTAMP '2024-01-01 10:04:00+00', 'view', NULL, 'x'), "
         "('u2', TIMESTAMP '2024-01-01 09:00:00+00', 'Buy', 3, '2024-13-01'), ('u\\'3', NULL, NULL, 1.25, NULL)", None),
        ("WITH e AS (SELECT `UserId` AS u, ts FROM `kith`.`Events`) SELECT u, COUNT(*) AS n FROM e GROUP BY u ORDER BY u",
         [["u'3", "1"], ["u1", "2"], ["u2", "1"]]),
        ("SELECT `UserId`, kind FROM (SELECT `UserId`, kind, row_number() OVER (PARTITION BY `UserId` ORDER BY ts DESC) AS rn "
         "FROM kith.`Events`) WHERE rn = 1 ORDER BY `UserId`", [["u'3", None], ["u1", "view"], ["u2", "Buy"]]),
        ("SELECT d, SAFE_CAST(d AS DATE) FROM kith.`Events` ORDER BY d",
         [[None, None], ["2024-01-02", "2024-01-02"], ["2024-13-01", None], ["x", None]]),
        ("SELECT kind FROM kith.`Events` WHERE REGEXP_CONTAINS(kind, r'^(?:b.y)$') ORDER BY kind", [["buy"]]),
        ("SELECT COUNT(*) FROM kith.`Events` WHERE ts >= TIMESTAMP_SUB(TIMESTAMP '2024-01-01 10:05:00+00', INTERVAL 5 MINUTE)",
         [["2"]]),
        ("SELECT 'a\\'b\\\\c' AS s, LENGTH('a\\'b\\\\c') AS n", [["a'b\\c", "5"]]),
        ("CREATE TABLE kith.check_ctas AS SELECT `UserId` AS u, amount FROM kith.`Events` WHERE amount IS NOT NULL", None),
        ("ALTER TABLE kith.check_ctas RENAME TO check_ctas2", None),
        ("SELECT u, amount FROM kith.check_ctas2 ORDER BY u", [["u'3", "1.25"], ["u1", "10.5"], ["u2", "3"]]),
        ("DROP TABLE IF EXISTS kith.check_ctas2", None),
        ("DROP TABLE IF EXISTS kith.check_ctas2", None),
        ("SELECT COUNT(*) FROM kith.`Events` WHERE kind IS NOT DISTINCT FROM NULL", [["1"]]),
        ("SELECT COUNT(*) FROM kith.`Events` WHERE COLLATE(kind, 'und:ci') = 'buy'", [["2"]]),
        ("SELECT COUNT(DISTINCT `UserId`), COALESCE(MAX(kind), 'none'), MIN(kind) FROM kith.`Events`", [["3", "view", "Buy"]]),
        ("SELECT CAST('12.5' AS NUMERIC), CAST(2 AS NUMERIC), CAST('1.0000000005' AS NUMERIC)",
         [["12.5", "2", "1.000000001"]]),
        ("SELECT SAFE_CAST('1.5' AS INT64), SAFE_CAST(' 12' AS INT64), SAFE_CAST('TRUE' AS BOOL), SAFE_CAST('yes' AS BOOL)",
         [[None, "12", "true", None]]),
        ("SELECT e.kind FROM Events AS e WHERE e.`UserId` = 'u2'", [["Buy"]]),
        ("SELECT SAFE_CAST('2024-01-02 10:00:00' AS DATE), SAFE_CAST('2024-1-2' AS DATE), "
         "EXTRACT(DATE FROM TIMESTAMP '2024-01-02 23:00:00-05')", [[None, "2024-01-02", "2024-01-03"]]),
        ("SELECT 1 AS a; SELECT 2 AS b", [["2"]]),
        ("SELECT 1 AS a UNION ALL SELECT 2 ORDER BY a", [["1"], ["2"]]),
        ("SELECT DATE_ADD(DATE '2024-01-31', INTERVAL 1 DAY), DATE_DIFF(DATE '2024-03-01', DATE '2024-02-01', DAY)",
         [["2024-02-01", "29"]]),
        ("SELECT CURRENT_TIMESTAMP() IS NOT NULL", [["true"]]),
        ("SELECT 5 / 2, DIV(5, 2), MOD(5, 2), IEEE_DIVIDE(1, 0)", [["2.5", "2", "1", "Infinity"]]),
        ("SELECT ARRAY_AGG(kind IGNORE NULLS ORDER BY kind) FROM kith.`Events`", None),
        ("UPDATE kith.`Events` SET kind = 'x' WHERE kind IS NULL", None),
        ("DELETE FROM kith.`Events` WHERE kind = 'x'", None),
        ("DROP TABLE kith.`Events`", None),
        ("CREATE SCHEMA IF NOT EXISTS check_ds", None),
        ("CREATE TABLE check_ds.t (a INT64)", None),
        ("DROP SCHEMA check_ds CASCADE", None),
    ]
    notes = []
    for sql, want in shapes:
        s, first, rows = c.run(sql)
        if s != 200:
            notes.append((sql, first["error"]["message"] if first and "error" in first else first))
            check("sql: " + sql[:90], False, first)
            continue
        if want is None:
            check("sql: " + sql[:90], True)
        else:
            check("sql: " + sql[:90], rows == want, rows)

    st = c.admin("GET", "statements")
    check("statements list", isinstance(st, list) and st and all("duckdb" in x and "bigquery" in x for x in st))
    c.run("DROP TABLE IF EXISTS kith.check_types")
    print("%d failed" % len(FAILS) if FAILS else "all passed")
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
