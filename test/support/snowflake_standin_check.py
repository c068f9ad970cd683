#!/usr/bin/env python3
"""Self-check of the Snowflake stand-in (test/support/snowflake_standin.py), end to end over HTTP.

Run with the stand-in's own environment:
    .venv-snowflake/bin/python test/support/snowflake_standin_check.py
It starts the stand-in with `scripts/standin.sh start snowflake` (or reuses the running one), reads the
`export` lines it prints, and talks to it as a client of Snowflake's SQL API v2 would: key-pair JWTs signed with
the generated encrypted PKCS#8 key (RS256, iss with the public key's SHA-256 fingerprint), OAuth for a few
requests. Everything it does is scoped to a warehouse name of its own, so it can run beside other tests.

What it checks: DDL, INSERT of NULLs, DATE, TIME, TIMESTAMP_NTZ, NUMBER(10,2), FLOAT, BOOLEAN and VARCHAR with
quotes, backslashes and non-ASCII text (literals and bindings), read back synchronously and asynchronously
(202, then polling) with Snowflake's jsonv2 texts; three partitions, the later ones gzip-encoded; cancelling a
delayed statement (it never runs); a statement timeout (408); a dropped answer after execution, resubmitted
with retry=true, executed once; a failing statement (422 with the engine's code); a multi-statement count
mismatch; bad, expired and wrong-claim JWTs, a wrong OAuth token and the expire_token fault (401 with
Snowflake's codes); 429 and 503 faults; then the SQL that kith sends on Snowflake, reporting what fakesnow
cannot run. Ends with a line 'N passed, N failed'; exit status 0 when nothing failed.
"""
import base64
import gzip
import hashlib
import http.client
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.parse
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = {"passed": 0, "failed": 0}


def check(cond, what, detail=""):
    if cond:
        RESULTS["passed"] += 1
        print("ok    %s" % what)
    else:
        RESULTS["failed"] += 1
        print("FAIL  %s %s" % (what, detail))
    return cond


def start_standin():
    out = subprocess.run([os.path.join(ROOT, "scripts", "standin.sh"), "start", "snowflake"],
                         check=True, capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        m = re.match(r"^export ([A-Z_]+)=(.*)$", line)
        if m:
            env[m.group(1)] = shlex.split(m.group(2))[0]
    return env


class Client:
    def __init__(self, env):
        uri = urllib.parse.urlsplit(env["KITH_WAREHOUSE"])
        q = dict(urllib.parse.parse_qsl(uri.query))
        endpoint = urllib.parse.urlsplit(q["endpoint"])
        self.host, self.port = endpoint.hostname, endpoint.port
        self.account = uri.hostname.upper() if uri.hostname else uri.netloc.upper()
        self.user = q["user"].upper()
        parts = uri.path.strip("/").split("/")
        self.database, self.schema = parts[0], parts[1]
        self.warehouse = "CHECK_" + uuid.uuid4().hex[:10].upper()
        with open(env["SNOWFLAKE_PRIVATE_KEY_PATH"], "rb") as f:
            self.key = serialization.load_pem_private_key(
                f.read(), password=env["SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"].encode())
        with open(os.path.join(os.path.dirname(env["SNOWFLAKE_PRIVATE_KEY_PATH"]), "oauth_token")) as f:
            self.oauth = f.read().strip()

    def fingerprint(self, key=None):
        der = (key or self.key).public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)
        return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()

    def jwt(self, key=None, iat=None, lifetime=3540, iss=None, sub=None):
        now = int(time.time()) if iat is None else iat
        qualified = "%s.%s" % (self.account, self.user)
        claims = {"iss": iss or "%s.%s" % (qualified, self.fingerprint(key)), "sub": sub or qualified,
                  "iat": now, "exp": now + lifetime}
        return jwt.encode(claims, key or self.key, algorithm="RS256")

    def request(self, method, path, body=None, headers=None, token=None, kind="KEYPAIR_JWT"):
        """(status, headers dict, raw body bytes); raises on a dropped connection."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        h = {"Accept": "application/json", "User-Agent": "kith-standin-check/1.0"}
        if token is not False:
            h["Authorization"] = "Bearer " + (token or self.jwt())
            if kind:
                h["X-Snowflake-Authorization-Token-Type"] = kind
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def submit(self, statement, bindings=None, asynchronous=False, request_id=None, retry=False, timeout=None,
               parameters=None, **kw):
        body = {"statement": statement, "database": self.database, "schema": self.schema,
                "warehouse": self.warehouse, "role": "PUBLIC", "timeout": timeout or 60,
                "parameters": {"timezone": "UTC", **(parameters or {})}}
        if bindings:
            body["bindings"] = {str(i + 1): b for i, b in enumerate(bindings)}
        q = {"requestId": request_id or str(uuid.uuid4()), "async": "true" if asynchronous else "false"}
        if retry:
            q["retry"] = "true"
        status, headers, raw = self.request("POST", "/api/v2/statements?" + urllib.parse.urlencode(q), body, **kw)
        return status, headers, json.loads(raw) if raw else None

    def poll(self, handle, partition=None, gzip_ok=False, limit=60):
        path = "/api/v2/statements/" + handle + ("?partition=%d" % partition if partition is not None else "")
        deadline = time.time() + limit
        delay = 0.05
        while True:
            status, headers, raw = self.request("GET", path,
                                                headers={"Accept-Encoding": "gzip"} if gzip_ok else None)
            if status != 202 or time.time() > deadline:
                if headers.get("content-encoding") == "gzip":
                    raw = gzip.decompress(raw)
                return status, headers, json.loads(raw) if raw else None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def run(self, statement, bindings=None, **kw):
        """Submits synchronously and polls when the answer is 202: (status, body)."""
        status, _, body = self.submit(statement, bindings, **kw)
        if status == 202:
            status, _, body = self.poll(body["statementHandle"])
        return status, body

    def admin(self, method, route, body=None):
        sep = "&" if "?" in route else "?"
        status, _, raw = self.request(method, "/_standin/%s%sscope=%s" % (route, sep, self.warehouse), body,
                                      token=False)
        return json.loads(raw) if raw and status == 200 else None


def main():
    env = start_standin()
    c = Client(env)
    print("stand-in at %s:%d, warehouse %s" % (c.host, c.port, c.warehouse))
    table = "CHECK_" + uuid.uuid4().hex[:8].upper()

    # --- DDL, DML, value encoding ----------------------------------------------------------------------------
    status, body = c.run('CREATE OR REPLACE TABLE %s (id INT, amount NUMBER(10,2), ratio FLOAT, flag BOOLEAN, '
                         'note VARCHAR, "Email" VARCHAR, day DATE, at_time TIME, at_ts TIMESTAMP_NTZ)' % table)
    check(status == 200 and body["data"] == [["Table %s successfully created." % table]],
          "CREATE TABLE answers 200 with its status row", body)
    check(body and body["code"] == "090001" and body["sqlState"] == "00000"
          and body["message"] == "Statement executed successfully." and body["resultSetMetaData"]["format"] == "jsonv2",
          "a ResultSet carries code 090001, sqlState 00000, format jsonv2", body)
    status, body = c.run("INSERT INTO %s VALUES (1, 12.5, 0.25, TRUE, 'it''s a \\\\ back\\\\slash, \u00e9\u00e8 \u2603 "
                         "\U0001F600', 'Ann@x.io', '2024-01-01', '01:00:00', '2023-11-14 22:13:20.123456'), "
                         "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
                         "(3, -0.05, -1e300, FALSE, '', 'b@y', '1969-12-31', '23:59:59.5', '1969-12-31 23:59:59.5')"
                         % table)
    check(status == 200 and body["data"] == [["3"]] and body["resultSetMetaData"]["rowType"][0]["name"] ==
          "number of rows inserted", "INSERT answers 'number of rows inserted' = 3", body)
    check(body and body.get("stats", {}).get("numRowsInserted") == 3, "INSERT's stats.numRowsInserted", body)
    status, body = c.run("INSERT INTO %s (id, note, amount, day, flag) VALUES (?, ?, ?, ?, ?)" % table,
                         [{"type": "FIXED", "value": "4"}, {"type": "TEXT", "value": "quote ' \" and \\ \u00fc"},
                          {"type": "TEXT", "value": "7.10"}, {"type": "TEXT", "value": "2024-02-29"},
                          {"type": "BOOLEAN", "value": "true"}])
    check(status == 200 and body["data"] == [["1"]], "INSERT with bindings", body)

    sql = ('SELECT id, amount, ratio, flag, note, "Email", day, at_time, at_ts FROM %s ORDER BY id' % table)
    want = [["1", "12.50", "0.25", "true", "it's a \\ back\\slash, \u00e9\u00e8 \u2603 \U0001F600", "Ann@x.io",
             "19723", "3600.000000000", "1700000000.123456000"],
            ["2", None, None, None, None, None, None, None, None],
            ["3", "-0.05", "-1e+300", "false", "", "b@y", "-1", "86399.500000000", "-0.500000000"],
            ["4", "7.10", None, "true", "quote ' \" and \\ \u00fc", None, "19782", None, None]]
    status, body = c.run(sql)
    check(status == 200 and body["data"] == want, "SELECT (sync) gives Snowflake's jsonv2 texts",
          json.dumps(body and body.get("data"), ensure_ascii=False))
    types = [(r["name"], r["type"], r.get("precision"), r.get("scale")) for r in body["resultSetMetaData"]["rowType"]]
    check(types == [("ID", "fixed", 38, 0), ("AMOUNT", "fixed", 10, 2), ("RATIO", "real", None, None),
                    ("FLAG", "boolean", None, None), ("NOTE", "text", None, None), ("Email", "text", None, None),
                    ("DAY", "date", None, None), ("AT_TIME", "time", 0, 9), ("AT_TS", "timestamp_ntz", 0, 9)],
          "rowType names, types, precision and scale", types)
    meta = body["resultSetMetaData"]
    check(meta["numRows"] == 4 and meta["partitionInfo"][0]["rowCount"] == 4, "numRows and partitionInfo", meta)

    status, headers, body = c.submit(sql, asynchronous=True)
    check(status == 202 and body["code"] == "333334" and body["statementStatusUrl"].startswith(
        "/api/v2/statements/" + body["statementHandle"]), "async=true answers 202 / 333334 with a handle", body)
    status, _, body = c.poll(body["statementHandle"])
    check(status == 200 and body["data"] == want, "polling the handle gives the same rows", status)

    status, body = c.run("SELECT 'x' AS a, '2024-01-01 02:00:01 +02:00'::TIMESTAMP_TZ AS tz, "
                         "TO_BINARY('6869', 'HEX') AS bin, PARSE_JSON('{\"a\": [1, 2]}') AS v")
    check(status == 200 and body["data"][0][1:] == ["1704067201.000000000 1440", "6869", '{"a":[1,2]}'],
          "timestamp_tz, binary and variant texts", body)

    status, headers, body = c.submit("SELECT 1 AS one", token=c.oauth, kind="OAUTH")
    check(status == 200 and body["data"] == [["1"]], "an OAuth token is accepted", body)
    status, headers, body = c.submit("SELECT 1 AS one", token=c.oauth, kind=None)
    check(status == 200, "no token type header: taken as OAUTH", body)

    # --- partitions -----------------------------------------------------------------------------------------
    c.admin("POST", "faults", {"partition_rows": 3})
    c.run("INSERT INTO %s (id) SELECT seq4() + 10 FROM TABLE(GENERATOR(ROWCOUNT => 4))" % table)
    status, body = c.run("SELECT id FROM %s ORDER BY id" % table)
    infos = body["resultSetMetaData"]["partitionInfo"] if body else []
    check(status == 200 and [p["rowCount"] for p in infos] == [3, 3, 2] and body["resultSetMetaData"]["numRows"] == 8,
          "8 rows in partitions of 3, 3, 2", infos)
    rows = list(body["data"])
    for n in (1, 2):
        st, headers, raw = c.request("GET", "/api/v2/statements/%s?partition=%d" % (body["statementHandle"], n),
                                     headers={"Accept-Encoding": "gzip"})
        gz = headers.get("content-encoding") == "gzip"
        part = json.loads(gzip.decompress(raw) if gz else raw)
        check(st == 200 and gz and list(part) == ["data"], "partition %d comes gzip-encoded, data only" % n,
              (st, headers))
        rows += part["data"]
    check([r[0] for r in rows] == ["1", "2", "3", "4", "10", "11", "12", "13"], "the 3 partitions hold every row",
          rows)
    st, headers, raw = c.request("GET", "/api/v2/statements/%s?partition=2" % body["statementHandle"])
    check(st == 200 and "content-encoding" not in headers and json.loads(raw)["data"] == [["12"], ["13"]],
          "without Accept-Encoding gzip, a partition is plain JSON", headers)
    c.admin("DELETE", "faults")

    # --- cancel, timeout --------------------------------------------------------------------------------------
    c.admin("POST", "faults", {"delay_ms": 3000})
    status, _, body = c.submit("INSERT INTO %s (id) VALUES (100)" % table, asynchronous=True)
    handle = body["statementHandle"]
    st, _, cancel = c.request("POST", "/api/v2/statements/%s/cancel" % handle)
    cancel = json.loads(cancel)
    check(st == 200 and cancel["statementHandle"] == handle, "cancel answers 200", cancel)
    status, _, body = c.poll(handle)
    check(status == 422 and body["code"] == "000604" and body["message"] == "SQL execution canceled",
          "a cancelled statement reports 422 / 000604", body)
    status, body = c.run("SELECT COUNT(*) FROM %s WHERE id = 100" % table)
    listing = c.admin("GET", "statements")
    ran = [s for s in listing if s["statementHandle"] == handle]
    check(body["data"] == [["0"]] and ran and ran[0]["executions"] == 0 and ran[0]["status"] == "canceled",
          "the cancelled statement never ran", (body["data"], ran))
    c.admin("POST", "faults", {"delay_ms": 3000})
    status, body = c.run("SELECT 1", timeout=1)
    check(status == 408 and body["code"] == "000630", "a statement over its timeout: 408 / 000630", body)

    # --- idempotent retry after a dropped answer ----------------------------------------------------------------
    c.admin("POST", "faults", {"drop_after_execute": 1})
    rid = str(uuid.uuid4())
    try:
        c.submit("INSERT INTO %s (id) VALUES (200)" % table, request_id=rid)
        dropped = False
    except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine):
        dropped = True
    check(dropped, "drop_after_execute closes the connection without an answer")
    status, _, body = c.submit("INSERT INTO %s (id) VALUES (200)" % table, request_id=rid, retry=True)
    check(status == 200 and body["data"] == [["1"]], "the retry (same requestId, retry=true) gets the result", body)
    status, body = c.run("SELECT COUNT(*) FROM %s WHERE id = 200" % table)
    stats = c.admin("GET", "stats")
    check(body["data"] == [["1"]] and stats["executions_by_request_id"].get(rid) == 1,
          "... and the statement ran once", (body["data"], stats["executions_by_request_id"].get(rid)))

    # --- failures -------------------------------------------------------------------------------------------
    status, body = c.run("SELECT * FROM NO_SUCH_TABLE")
    check(status == 422 and body["code"] == "002003" and body["sqlState"] == "42S02" and "NO_SUCH_TABLE" in
          body["message"] and body["statementHandle"], "a missing table: 422 with the engine's code and message",
          body)
    status, body = c.run("SELEC 1")
    check(status == 422 and body["code"] == "001003", "a syntax error: 422 / 001003", body)
    status, body = c.run("SELECT 1; SELECT 2")
    check(status == 422 and body["code"] == "000008", "two statements without MULTI_STATEMENT_COUNT: 000008", body)
    status, body = c.run("SELECT 1; SELECT 2", parameters={"MULTI_STATEMENT_COUNT": "2"})
    ok = status == 200 and len(body.get("statementHandles", [])) == 2
    if ok:
        st2, _, second = c.poll(body["statementHandles"][1])
        ok = st2 == 200 and second["data"] == [["2"]]
    check(ok, "MULTI_STATEMENT_COUNT=2 runs both, each with a handle", body)

    # --- authentication -------------------------------------------------------------------------------------
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cases = [
        ("a JWT signed by another key", c.jwt(key=other), "KEYPAIR_JWT", "390144"),
        ("a JWT whose iss has another fingerprint", c.jwt(iss="%s.%s.%s" % (c.account, c.user, c.fingerprint(other))),
         "KEYPAIR_JWT", "390144"),
        ("a JWT with a lower-case account", c.jwt(iss="%s.%s.%s" % (c.account.lower(), c.user, c.fingerprint()),
                                                  sub="%s.%s" % (c.account.lower(), c.user)), "KEYPAIR_JWT", "390144"),
        ("an expired JWT", c.jwt(iat=int(time.time()) - 7200, lifetime=3600), "KEYPAIR_JWT", "390144"),
        ("a JWT living over an hour", c.jwt(lifetime=7200), "KEYPAIR_JWT", "390144"),
        ("a wrong OAuth token", "not-the-token", "OAUTH", "390303"),
    ]
    for what, token, kind, code in cases:
        status, _, body = c.submit("SELECT 1", token=token, kind=kind)
        check(status == 401 and body["code"] == code and body["message"].startswith(
            {"390144": "JWT token is invalid.", "390303": "Invalid OAuth access token."}[code]),
            "%s: 401 / %s" % (what, code), (status, body))
    c.admin("POST", "faults", {"expire_token": 1, "count": 2})
    status, _, body = c.submit("SELECT 1")
    check(status == 401 and body["code"] == "390144", "expire_token fault, JWT: 401 / 390144", body)
    status, _, body = c.submit("SELECT 1", token=c.oauth, kind="OAUTH")
    check(status == 401 and body["code"] == "390318" and body["message"].startswith("OAuth access token expired."),
          "expire_token fault, OAuth: 401 / 390318", body)
    status, _, body = c.submit("SELECT 1")
    check(status == 200, "after the fault, the same credentials work", body)

    # --- 429 and 503 ----------------------------------------------------------------------------------------
    c.admin("DELETE", "stats")
    c.admin("POST", "faults", {"status": 429, "retry_after": 1})
    c.admin("POST", "faults", {"status": 503})
    status, headers, _ = c.submit("SELECT 1")
    check(status == 429 and headers.get("retry-after") == "1", "429 fault with Retry-After: 1", (status, headers))
    status, headers, _ = c.submit("SELECT 1")
    check(status == 503, "503 fault", status)
    status, headers, _ = c.submit("SELECT 1")
    stats = c.admin("GET", "stats")
    check(status == 200 and stats["faulted"] == 2 and stats["executed"] == 1, "then an answer; stats count it",
          stats)
    c.admin("POST", "faults", {"status": 503, "method": "GET"})
    status, _, body = c.submit("SELECT 1", asynchronous=True)
    st, _, raw = c.request("GET", "/api/v2/statements/" + body["statementHandle"])
    status, _, body = c.poll(body["statementHandle"])
    check(st == 503 and status == 200, "a fault limited to GET spares the submission, hits the poll", (st, status))
    c.admin("DELETE", "faults")

    # --- the SQL kith sends ---------------------------------------------------------------------------------
    s = "KITH_CHECK_" + uuid.uuid4().hex[:6].upper()
    sqls = [
        ("CREATE SCHEMA IF NOT EXISTS %s.%s" % (c.database, s), True),
        ("CREATE SCHEMA IF NOT EXISTS %s.%s" % (c.database, s), True),
        ('CREATE TABLE %s.%s."People" ("Email" VARCHAR, "Age" NUMBER(38,0), day VARCHAR)' % (c.database, s), True),
        ("INSERT INTO %s.%s.\"People\" VALUES ('a@x', 30, '2024-01-05'), ('b@x', 40, 'junk'), ('c@x', NULL, NULL)"
         % (c.database, s), True),
        ('WITH p AS (SELECT "Email", "Age" FROM %s.%s."People") SELECT COUNT(*) FROM p WHERE "Age" > 35'
         % (c.database, s), True),
        ('SELECT "Email", row_number() OVER (PARTITION BY "Age" IS NULL ORDER BY "Email") AS rn FROM %s.%s."People" '
         'ORDER BY "Email"' % (c.database, s), True),
        ('SELECT TRY_CAST(day AS DATE) FROM %s.%s."People" ORDER BY "Email"' % (c.database, s), True),
        ('SELECT REGEXP_LIKE("Email", \'^[ab]@.*\') FROM %s.%s."People" ORDER BY "Email"' % (c.database, s), True),
        ('CREATE TABLE %s.%s.run_1 AS SELECT "Email" FROM %s.%s."People" WHERE "Age" IS NOT NULL'
         % (c.database, s, c.database, s), True),
        ("ALTER TABLE %s.%s.run_1 RENAME TO %s.%s.run_2" % (c.database, s, c.database, s), True),
        ("SELECT COUNT(*) FROM %s.%s.run_2" % (c.database, s), True),
        ("DROP TABLE IF EXISTS %s.%s.run_2" % (c.database, s), True),
        ("DROP TABLE IF EXISTS %s.%s.run_2" % (c.database, s), True),
        ("SELECT table_name, table_type FROM %s.information_schema.tables WHERE table_schema = '%s' ORDER BY 1"
         % (c.database, s), True),
        ("SELECT column_name, data_type, numeric_precision, numeric_scale, is_nullable FROM "
         "%s.information_schema.columns WHERE table_schema = '%s' AND table_name = 'People' ORDER BY ordinal_position"
         % (c.database, s), True),
        ('SELECT "Email" FROM %s.%s."People" ORDER BY "Email" COLLATE \'binary\'' % (c.database, s), False),
        ('SELECT COLLATE("Email", \'binary\') FROM %s.%s."People"' % (c.database, s), False),
        ('SELECT email FROM %s.%s."People"' % (c.database, s), False),
        ("SELECT 12345678901234567890123::NUMBER(38,0)", False),
        ("SELECT '2024-01-01 10:00:00 +02:00'::TIMESTAMP_TZ", False),
        ("DROP SCHEMA IF EXISTS %s.%s CASCADE" % (c.database, s), True),
    ]
    print("--- the SQL kith sends, on fakesnow:")
    for text, must in sqls:
        status, body = c.run(text)
        if status == 200:
            print("   ran    %s\n          -> %s" % (text, json.dumps(body["data"][:4], ensure_ascii=False)))
        else:
            print("   FAILED %s\n          -> %s %s: %s" % (text, status, body.get("code"), body.get("message")))
        if must:
            check(status == 200, "fakesnow runs: %s" % text[:90], body if status != 200 else "")
    status, body = c.run('SELECT "Email" FROM %s.%s."People"' % (c.database, s))
    check(status == 422, "the schema is gone after DROP SCHEMA ... CASCADE", status)

    print("%d passed, %d failed" % (RESULTS["passed"], RESULTS["failed"]))
    return 0 if RESULTS["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
