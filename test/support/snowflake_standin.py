#!/usr/bin/env python3
"""The Snowflake stand-in: a local server answering Snowflake's SQL API v2, every statement run on fakesnow.

Started by `scripts/standin.sh start snowflake` (scripts/standin/snowflake.sh), with .venv-snowflake's python
(scripts/requirements-snowflake.lock: fakesnow 0.12.1, PyJWT, cryptography). It listens on 127.0.0.1 and answers
the REST API that docs.snowflake.com documents as the "Snowflake SQL API" (developer-guide/sql-api: reference,
submitting-requests, handling-responses, cancelling-requests, authenticating). What answers the SQL is fakesnow
(PyPI: Snowflake's SQL transpiled by sqlglot and run on DuckDB), over a persistent DuckDB folder (--db-path):
every answer is computed from the data loaded into it, never made up.

The protocol subset
  POST /api/v2/statements?requestId=UUID&async=true|false&retry=true|false&nullable=true|false
      Body (JSON; `Content-Encoding: gzip` accepted): {"statement", "timeout", "database", "schema", "warehouse",
      "role", "bindings", "parameters"}. database and schema name the session's current ones (as if by USE; a
      name that does not exist leaves it unset, as a Snowflake session does); warehouse scopes the admin
      routes below; role is accepted and ignored. Each request runs in a session of its own (a new fakesnow
      connection), so nothing of one request's session (USE, temporary tables, variables) reaches another's.
      - bindings: {"1": {"type": T, "value": V}, ...} for `?` placeholders, positional. T: TEXT (and anything
        unknown: the text), FIXED (integer, else decimal), REAL, BOOLEAN ("true"/"false"), BINARY (hex),
        DATE / TIME / TIMESTAMP_NTZ / TIMESTAMP_LTZ / TIMESTAMP_TZ, either as the drivers bind them (all digits:
        DATE milliseconds since the epoch, TIME nanoseconds since midnight, TIMESTAMP nanoseconds since the
        epoch, TIMESTAMP_TZ "<nanoseconds> <offset minutes + 1440>") or as text that the engine casts.
        A value that is a JSON array (the same length for every placeholder) is an array binding: the statement
        runs once per row, as a batch, and reports the total.
      - parameters: MULTI_STATEMENT_COUNT (default 1; 0 = any number): a request holding another number of
        statements fails with 000008 "Actual statement count N did not match the desired statement count M.";
        several statements run one after the other (each a statement with its own handle, the first failure
        ends the batch), and the answer is the "Multiple statements executed successfully." result with
        "statementHandles". timezone / TIMEZONE: the session's time zone (DuckDB's SET TimeZone; UTC otherwise).
        Other parameters are accepted and ignored.
      - timeout: seconds (0 or absent: none); a statement running longer is cancelled: 408, code 000630.
      - async=true: 202 at once with the QueryStatus {"code": "333334", "message": "Asynchronous execution in
        progress. Use provided query id to perform query monitoring and management.", "statementHandle",
        "statementStatusUrl"}. async=false (the default): waits up to 45 s (--sync-wait), then the same 202.
      - requestId and retry=true: a requestId already submitted answers that statement's current state (202,
        200 with its result, 422, 408) and never runs it again; without retry=true the same requestId runs the
        statement again, as Snowflake documents. Each execution counts in the stats below.
  GET  /api/v2/statements/<handle>[?partition=N]
      202 QueryStatus while running; 200 ResultSet when done; 422 QueryFailureStatus {"code", "message",
      "sqlState", "statementHandle", "statementStatusUrl", "createdOn"} when it failed: the engine's own code,
      SQL state and message (fakesnow's: e.g. 002003 / 42S02 "Catalog Error: Table with name X does not
      exist!"; 001003 / 42000 for a syntax error; DuckDB errors that fakesnow does not translate: 100000 /
      22000 and DuckDB's message); 422 {"code": "000604", "sqlState": "57014", "message": "SQL execution
      canceled"} once cancelled; 408 {"code": "000630", "sqlState": "57014", "message": "Statement reached its
      statement timeout and was canceled."} after its timeout. Unknown handle: 404 code 000709.
      ResultSet (partition 0): {"resultSetMetaData": {"numRows", "format": "jsonv2", "partitionInfo":
      [{"rowCount", "uncompressedSize"[, "compressedSize"]}...], "rowType": [{"name", "database", "schema",
      "table", "type", "scale", "precision", "length", "byteLength", "nullable", "collation"}...]}, "data":
      [[...]], "code": "090001", "statementStatusUrl", "requestId", "sqlState": "00000", "statementHandle",
      "message": "Statement executed successfully.", "createdOn"[, "stats"]} and a `Link` header (rel first,
      next, prev, last). ?partition=N (N > 0): {"data": [[...]]} only, gzip-compressed with
      `Content-Encoding: gzip` when the request's Accept-Encoding allows gzip. INSERT / UPDATE / DELETE add
      "stats": {"numRowsInserted" | "numRowsUpdated" | "numRowsDeleted", "numDmlDuplicates": 0}.
      Partitions hold --partition-rows rows (default 10000; see partition_rows below).
  POST /api/v2/statements/<handle>/cancel
      200 {"code": "000000", "sqlState": "00000", "message": "successfully canceled", "statementHandle",
      "statementStatusUrl"}. A statement still waiting (delay fault, queue) never runs; one inside DuckDB is
      interrupted; one already done stays as it was.

  Values in "data" are Snowflake's jsonv2 texts: every value a JSON string, SQL NULL JSON null (the string
  "null" with nullable=false). type (rowType) and text, from the DuckDB type of the result column:
    fixed (integers: precision 38 scale 0; DECIMAL(p,s): p, s)  "12", "-3", "1.50" (the scale's digits)
    real (DOUBLE, FLOAT)        Python's shortest round-trip text: "2.25", "1e+300", "NaN", "inf", "-inf"
    text (VARCHAR)              the text; length and byteLength 16777216
    boolean                     "true", "false"
    date                        days since 1970-01-01: "19723"
    time                        seconds since midnight, 9 fractional digits: "3600.000000000" (scale 9)
    timestamp_ntz (TIMESTAMP)   seconds since the epoch, 9 fractional digits: "1700000000.123456000" (scale 9)
    timestamp_tz (TIMESTAMPTZ)  "<seconds.9 digits> <offset minutes + 1440>"; DuckDB keeps instants only, so
                                the offset is always UTC's, 1440 (fakesnow stores TIMESTAMP_LTZ and
                                TIMESTAMP_TZ both as TIMESTAMPTZ; its information_schema calls them
                                TIMESTAMP_TZ, and so does this rowType)
    binary (BLOB)               upper-case hex
    variant (JSON: VARIANT, OBJECT and ARRAY in fakesnow), array (LIST), object (STRUCT, MAP)  JSON text
  database, schema and table of a rowType entry are "" (fakesnow does not say where a column comes from);
  nullable is always true.

Where fakesnow 0.12.1 answers unlike Snowflake (seen through this server; test/support/snowflake_standin_check.py
prints the probes): COLLATE 'binary' (ORDER BY x COLLATE 'binary', COLLATE(x, 'binary'), MIN(x COLLATE ..))
fails, 001003 "Parser Error: syntax error at or near ..." (DuckDB gets `COLLATE binary`): text compares by its
bytes anyway, in DuckDB and in Snowflake without a collation. Unquoted identifiers resolve case-insensitively
(`email` finds a column "Email"; Snowflake would not). A column named AT (a DuckDB keyword) cannot be created
unquoted. Result columns of unaliased expressions take DuckDB's text of the transpiled expression as name
(alias every output column). Integer division gives real (10 / 4 -> 2.5 of type real), 1/0 gives "inf"
instead of an error. A TIMESTAMP_TZ column takes text with a numeric offset only through an explicit cast
('... +02:00'::TIMESTAMP_TZ; implicitly: 100035 "Conversion Error: Unknown TimeZone '+02:00'!"), and keeps the
instant, not the offset. TIMESTAMP_NTZ(3) keeps microseconds. Literals beyond BIGINT in NUMBER(38,0) casts
fail (100035). information_schema.columns has no DATETIME_PRECISION; CURRENT_ACCOUNT() and the like do not exist.
Fixed here: fakesnow replaces session variables ($name) anywhere in a statement's text, inside string literals too
(and fails on '$tag' in a literal: "Session variable '$TAG' does not exist"); Snowflake reads $name only outside
literals and quoted identifiers, so this server substitutes only there (inline_variables below).

Authentication (every /api/v2 request), as Snowflake's SQL API does it:
  `Authorization: Bearer <token>` and `X-Snowflake-Authorization-Token-Type: KEYPAIR_JWT | OAUTH |
  PROGRAMMATIC_ACCESS_TOKEN` (absent: OAUTH, as the reference says).
  - KEYPAIR_JWT: verified with PyJWT, RS256 only, against the public key (--public-key, PEM): the signature;
    iss = "<ACCOUNT>.<USER>.SHA256:<base64 of the SHA-256 of the public key's DER SubjectPublicKeyInfo>" and
    sub = "<ACCOUNT>.<USER>", account and user in upper case (--account, --user); iat and exp present, exp in
    the future, exp at most one hour after iat, iat not in the future (60 s of clock skew allowed). Any
    failure, an expired token included: 401 {"code": "390144", "message": "JWT token is invalid. [<id>]"}.
  - OAUTH and PROGRAMMATIC_ACCESS_TOKEN: the token of --token-file. A wrong one: 401 {"code": "390303",
    "message": "Invalid OAuth access token. [<id>]"}; an expired one (the expire_token fault): 401
    {"code": "390318", "message": "OAuth access token expired. [<id>]"}.
  - No Authorization header, or not a Bearer one: 401 {"code": "390101", "message": "Authorization header
    not found in the request data."}; another token type: 401 {"code": "390101", "message": "Unsupported
    authorization token type <T>."} (these two texts are the stand-in's own).
  The codes 390144 (JWT_TOKEN_INVALID), 390303 (OAUTH_TOKEN_INVALID) and 390318 (OAUTH_TOKEN_EXPIRED) are the
  ones Snowflake's drivers test for; <id> is a fresh UUID as Snowflake puts one.
  A body that is not a JSON object with a "statement" text: 400 {"code": "390142", "message": "Incoming
  request does not contain a valid payload."}.

Admin routes for tests (no authentication; 127.0.0.1 only). Faults and counters are scoped by `?scope=ID`,
where ID is the `warehouse` of the request body (compared case-insensitively): test processes running in
parallel each use a warehouse name of their own and do not see each other's faults or statements. A rule posted
without a scope applies to requests of any warehouse; counters read without one add up every warehouse. Requests
that name no statement body (GET polls, cancels) take the warehouse of the statement they name.
  POST   /_standin/faults[?scope=ID]
      JSON, one rule; rules queue up and each /api/v2 request uses up one count of the first rule that applies
      to it ("count" defaults to 1):
        {"status": 429, "retry_after": 1}  answer that status (429 and 5xx: with a Snowflake-like JSON body;
                                           `Retry-After` when retry_after is given), before any execution
        {"status": 503, "count": 2}
        {"drop": 1}                        close the connection without answering, before any execution
        {"drop_after_execute": 1}          (submissions only) run the statement to its end, then close the
                                           connection without answering: the client must resubmit with the
                                           same requestId and retry=true, and gets the result without a
                                           second execution
        {"delay_ms": 3000}                 (submissions only) the statement waits that long before it runs,
                                           which forces the asynchronous path; a cancel ends the wait and the
                                           statement never runs
        {"expire_token": 1}                answer 401 as for an expired token (JWT: 390144, OAuth: 390318)
      "method": "POST" | "GET" and "path": "<text the request path contains>" (e.g. "/cancel") restrict a rule;
      "every": K spreads it out: of the requests the rule applies to, only every K-th gets it (the others pass
      as if it were not there), so that count faults land on requests far apart, e.g. on statements all through
      a run.
        {"partition_rows": 3}              not queued but sticky: results of the statements submitted from now
                                           on (in that scope) are split into partitions of 3 rows, until the
                                           faults are deleted
      Answers {"pending": [rules...], "partition_rows": N or null}.
  DELETE /_standin/faults[?scope=ID]     forgets the pending rules and the partition size (of that scope, else all)
  GET    /_standin/stats[?scope=ID]
      {"submitted": N, "executed": N, "faulted": N, "unauthorized": N, "cancelled": N, "running": N,
       "partitions": N, "executions_by_request_id": {"<requestId>": N, ...}, "pending": [...]}
      submitted: submissions that passed authentication and faults; executed: statement executions that
      reached the engine; cancelled: cancel requests that stopped a statement; running: polls (GET of a
      handle) answered 202 because the statement had not ended yet; partitions: result partitions after the
      first one served (?partition=N, N > 0).
  DELETE /_standin/stats[?scope=ID]      sets those counters to 0 (and forgets the executions by requestId)
  GET    /_standin/statements[?scope=ID]
      [{"statementHandle", "requestId", "statement", "executions", "status" (running, succeeded, failed,
        canceled, timeout), "warehouse", "database", "schema", "createdOn"}...] in submission order, for tests
      that check nothing ran twice.
  GET    /_standin/health                200 "ok".
"""
import argparse
import base64
import datetime
import decimal
import gzip
import hashlib
import hmac
import http.server
import json
import math
import os
import socket
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import warnings

warnings.simplefilter("ignore")  # DuckDB warns about the extra copy fakesnow's to_arrow_table makes

import duckdb  # noqa: E402
import jwt  # noqa: E402  PyJWT
import pyarrow as pa  # noqa: E402
import snowflake.connector.errors as sf_errors  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from fakesnow import converter as fs_converter  # noqa: E402
from fakesnow.dialect import parse as fs_parse  # noqa: E402
from fakesnow.instance import FakeSnow  # noqa: E402
from fakesnow.variables import Variables as FsVariables  # noqa: E402
from sqlglot import exp  # noqa: E402

def code_parts(sql):
    """The statement's text cut into (is_code, text) pieces: string literals ('...' with \\ and '' escapes,
    $$...$$) and quoted identifiers ("...") are not code."""
    parts, i, start, n = [], 0, 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"" or sql.startswith("$$", i):
            if i > start:
                parts.append((True, sql[start:i]))
            j = i + (2 if c == "$" else 1)
            while j < n:
                if c == "$" and sql.startswith("$$", j):
                    j += 2
                    break
                if c == "'" and sql[j] == "\\":
                    j += 2
                    continue
                if c != "$" and sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    j += 1
                    break
                j += 1
            parts.append((False, sql[i:j]))
            i = start = j
            continue
        i += 1
    if start < n:
        parts.append((True, sql[start:]))
    return parts


def inline_variables(self, sql):
    """Session variables replaced where Snowflake reads them: outside literals and quoted identifiers."""
    out = []
    for is_code, text in code_parts(sql):
        out.append(FsVariables._fakesnow_inline(self, text) if is_code else text)
    return "".join(out)


FsVariables._fakesnow_inline = FsVariables.inline_variables
FsVariables.inline_variables = inline_variables

STATEMENT_PATH = "/api/v2/statements"
ASYNC_MESSAGE = ("Asynchronous execution in progress. Use provided query id to perform query monitoring "
                 "and management.")
SUCCESS_MESSAGE = "Statement executed successfully."
MULTI_MESSAGE = "Multiple statements executed successfully."
FAULT_BODIES = {
    429: ("390400", "Too many requests. The number of requests hit the rate limit."),
    500: ("390500", "Internal error."),
    502: ("390502", "Bad gateway."),
    503: ("390503", "Service unavailable. Please try again later."),
    504: ("390504", "Gateway timeout."),
}
COUNTERS = ("submitted", "executed", "faulted", "unauthorized", "cancelled", "running", "partitions")
MAX_KEPT_RESULTS = 2000  # statements whose rows stay in memory; older ones keep their state, not their rows
TEXT_LENGTH = 16777216
EPOCH_DATE = datetime.date(1970, 1, 1)


def now_ms():
    return int(time.time() * 1000)


def norm_scope(value):
    return value.upper() if isinstance(value, str) and value else None


# --- values: DuckDB result columns to Snowflake's rowType and jsonv2 texts ------------------------------------
def seconds_text(count, per_second):
    """`count` units (per_second of them in a second) as seconds with 9 fractional digits, e.g. "-1.500000000"."""
    ns = count * (1_000_000_000 // per_second)
    sign = "-" if ns < 0 else ""
    whole, frac = divmod(abs(ns), 1_000_000_000)
    return "%s%d.%09d" % (sign, whole, frac)


UNITS = {"s": 1, "ms": 1000, "us": 1_000_000, "ns": 1_000_000_000}


def real_text(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(float(v))


def json_default(v):
    if isinstance(v, (datetime.date, datetime.time, datetime.datetime)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, bytes):
        return v.hex().upper()
    return str(v)


def column_info(name, arrow_type, duck_type):
    """Snowflake's rowType entry, and a function turning the column's arrow array into jsonv2 texts."""
    info = {"name": name, "database": "", "schema": "", "table": "", "nullable": True, "type": "text",
            "byteLength": None, "length": None, "scale": None, "precision": None, "collation": None}
    t = arrow_type
    duck = (duck_type or "").upper()

    def plain(fn):
        return lambda arr: [None if v is None else fn(v) for v in arr.to_pylist()]

    if duck == "JSON":
        info["type"] = "variant"
        return info, plain(str)
    if pa.types.is_integer(t):
        info.update(type="fixed", precision=38, scale=0)
        return info, plain(str)
    if pa.types.is_decimal(t):
        info.update(type="fixed", precision=t.precision, scale=t.scale)
        return info, plain(lambda d: format(d, "f"))
    if pa.types.is_floating(t):
        info["type"] = "real"
        return info, plain(real_text)
    if pa.types.is_boolean(t):
        info["type"] = "boolean"
        return info, plain(lambda b: "true" if b else "false")
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        info.update(type="text", length=TEXT_LENGTH, byteLength=TEXT_LENGTH)
        return info, plain(str)
    if pa.types.is_date32(t):
        info["type"] = "date"
        return info, lambda arr: [None if v is None else str(v) for v in arr.cast(pa.int32()).to_pylist()]
    if pa.types.is_date64(t):
        info["type"] = "date"
        return info, lambda arr: [None if v is None else str(v // 86_400_000)
                                  for v in arr.cast(pa.int64()).to_pylist()]
    if pa.types.is_time(t):
        per = UNITS[t.unit]
        info.update(type="time", precision=0, scale=9)
        return info, lambda arr: [None if v is None else seconds_text(v, per)
                                  for v in arr.cast(pa.int64()).to_pylist()]
    if pa.types.is_timestamp(t):
        per = UNITS[t.unit]
        if t.tz is None:
            info.update(type="timestamp_ntz", precision=0, scale=9)
            return info, lambda arr: [None if v is None else seconds_text(v, per)
                                      for v in arr.cast(pa.int64()).to_pylist()]
        info.update(type="timestamp_tz", precision=0, scale=9)
        return info, lambda arr: [None if v is None else seconds_text(v, per) + " 1440"
                                  for v in arr.cast(pa.int64()).to_pylist()]
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        info.update(type="binary", length=8388608, byteLength=8388608)
        return info, plain(lambda b: bytes(b).hex().upper())
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        info["type"] = "array"
        return info, plain(lambda v: json.dumps(v, default=json_default, ensure_ascii=False))
    if pa.types.is_struct(t) or pa.types.is_map(t):
        info["type"] = "object"
        return info, plain(lambda v: json.dumps(dict(v) if isinstance(v, list) else v, default=json_default,
                                                ensure_ascii=False))
    info.update(type="text", length=TEXT_LENGTH, byteLength=TEXT_LENGTH)
    return info, plain(str)


def encode_table(table, duck_description):
    """(rowType, rows) of an arrow table: rows are lists of jsonv2 texts or None."""
    duck_types = {}
    if duck_description:
        for i, d in enumerate(duck_description):
            duck_types[i] = str(d[1])
    row_type, columns = [], []
    for i, field in enumerate(table.schema):
        info, fn = column_info(field.name, field.type, duck_types.get(i))
        row_type.append(info)
        columns.append(fn(table.column(i).combine_chunks()) if table.num_rows else [])
    rows = [list(r) for r in zip(*columns)] if columns else []
    return row_type, rows


def binding_value(b):
    """A binding {"type", "value"} of the SQL API as a Python value for DuckDB."""
    if not isinstance(b, dict):
        raise ValueError("a binding must be an object with type and value")
    t = str(b.get("type", "TEXT")).upper()
    v = b.get("value")
    if v is None:
        return None
    if isinstance(v, list):
        return [binding_value({"type": t, "value": x}) for x in v]
    v = str(v)
    digits = v.lstrip("-").isdigit()
    if t == "FIXED":
        return int(v) if digits else decimal.Decimal(v)
    if t == "REAL":
        return float(v)
    if t == "BOOLEAN":
        return fs_converter.from_boolean(v)
    if t == "BINARY":
        return fs_converter.from_binary(v)
    if t == "DATE" and digits:
        return fs_converter.from_date(v)
    if t == "TIME" and digits:
        return fs_converter.from_time(v)
    if t in ("TIMESTAMP_NTZ", "TIMESTAMP_LTZ") and digits:
        return fs_converter.from_datetime(v).replace(tzinfo=None)
    if t == "TIMESTAMP_TZ" and v.split(" ")[0].lstrip("-").isdigit():
        return fs_converter.from_datetime_tz(v)
    return v


# --- statements -----------------------------------------------------------------------------------------------
class Failure(Exception):
    def __init__(self, code, sql_state, message, http_status=422):
        super().__init__(message)
        self.code, self.sql_state, self.message, self.http_status = code, sql_state, message, http_status


class Statement:
    def __init__(self, text, request_id, scope, warehouse, database, schema, bindings, parameters, timeout,
                 delay_ms, partition_rows, parent=None):
        self.handle = str(uuid.uuid4())
        self.text = text
        self.request_id = request_id
        self.scope = scope
        self.warehouse, self.database, self.schema = warehouse, database, schema
        self.bindings = bindings
        self.parameters = parameters or {}
        self.timeout = timeout
        self.delay_ms = delay_ms
        self.partition_rows = partition_rows
        self.parent = parent
        self.created_on = now_ms()
        self.status = "running"
        self.done = threading.Event()
        self.cancel = threading.Event()
        self.cancel_reason = None  # "cancel" | "timeout"
        self.duck = None  # the DuckDB connection while it executes (for interrupt)
        self.executions = 0
        self.row_type = None
        self.rows = None
        self.num_rows = 0
        self.partitions = []  # (start, end)
        self.stats = None
        self.children = []  # handles of a multi-statement request
        self.failure = None  # Failure
        self.gz_cache = {}

    def status_url(self):
        return "%s/%s?requestId=%s" % (STATEMENT_PATH, self.handle, urllib.parse.quote(self.request_id))


class Engine:
    """fakesnow over one DuckDB database in a folder; statements run one at a time."""

    def __init__(self, db_path, database, schema):
        self.fs = FakeSnow(create_database_on_connect=False, create_schema_on_connect=False, db_path=db_path)
        self.lock = threading.Lock()
        conn = self.fs.connect()
        try:
            cur = conn.cursor()
            cur.execute("CREATE DATABASE IF NOT EXISTS %s" % database)
            cur.execute("CREATE SCHEMA IF NOT EXISTS %s.%s" % (database, schema))
        finally:
            conn.close()


class State:
    def __init__(self, engine, public_key_pem, token, account, user, default_partition_rows, sync_wait):
        self.engine = engine
        self.public_key = serialization.load_pem_public_key(public_key_pem)
        der = self.public_key.public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
        self.fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()
        self.token = token
        self.account, self.user = account.upper(), user.upper()
        self.default_partition_rows = default_partition_rows
        self.sync_wait = sync_wait
        self.lock = threading.Lock()
        self.statements = {}  # handle -> Statement
        self.order = []  # handles in submission order
        self.by_request = {}  # requestId -> handle (the latest submission)
        self.faults = []
        self.partition_rows = {}  # scope (None: any) -> rows
        self.stats = {}  # scope -> counters
        self.executions = {}  # scope -> {requestId: n}
        self.kept = []  # handles of statements whose rows are in memory

    # counters
    def count(self, scope, what, n=1):
        with self.lock:
            c = self.stats.setdefault(scope, dict.fromkeys(COUNTERS, 0))
            c[what] += n

    def count_execution(self, stmt, engine=True):
        """One execution of stmt: `executed` counts what reaches the engine (each statement of a multi-statement
        request), executions_by_request_id what a request started (a multi-statement request once)."""
        with self.lock:
            if engine:
                c = self.stats.setdefault(stmt.scope, dict.fromkeys(COUNTERS, 0))
                c["executed"] += 1
            stmt.executions += 1
            if stmt.parent is None:
                by = self.executions.setdefault(stmt.scope, {})
                by[stmt.request_id] = by.get(stmt.request_id, 0) + 1

    def snapshot(self, scope=None):
        with self.lock:
            total = dict.fromkeys(COUNTERS, 0)
            by_request = {}
            for sc, counters in self.stats.items():
                if scope is None or sc == scope:
                    for k in COUNTERS:
                        total[k] += counters[k]
            for sc, by in self.executions.items():
                if scope is None or sc == scope:
                    for rid, n in by.items():
                        by_request[rid] = by_request.get(rid, 0) + n
            total["executions_by_request_id"] = by_request
            total["pending"] = self.pending(scope)
            return total

    def reset(self, scope=None):
        with self.lock:
            if scope is None:
                self.stats.clear()
                self.executions.clear()
            else:
                self.stats.pop(scope, None)
                self.executions.pop(scope, None)

    # faults
    def pending(self, scope=None):
        return [dict(r) for r in self.faults if scope is None or r.get("scope") in (None, scope)]

    def partition_size(self, scope):
        with self.lock:
            if scope in self.partition_rows:
                return self.partition_rows[scope]
            return self.partition_rows.get(None, self.default_partition_rows)

    def find_fault(self, scope, method, path, submission):
        """The first pending rule that applies to a request (not used up yet: see use_fault). A rule with "every"
        takes its turn only on every K-th request it matches."""
        with self.lock:
            for rule in self.faults:
                if rule.get("scope") not in (None, scope):
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule.get("path") and rule["path"] not in path:
                    continue
                if ("delay_ms" in rule or "drop_after_execute" in rule) and not submission:
                    continue
                rule["seen"] = rule.get("seen", 0) + 1
                if rule["seen"] % rule.get("every", 1) != 0:
                    continue
                return rule
            return None

    def use_fault(self, rule):
        """Uses up one count of a rule that find_fault returned; a copy of it, or None when it is gone."""
        if rule is None:
            return None
        with self.lock:
            for i, r in enumerate(self.faults):
                if r is rule:
                    r["count"] -= 1
                    if r["count"] <= 0:
                        self.faults.pop(i)
                    return dict(r)
            return None

    def clear_faults(self, scope=None):
        with self.lock:
            self.faults = [r for r in self.faults if scope is not None and r.get("scope") not in (None, scope)]
            if scope is None:
                self.partition_rows.clear()
            else:
                self.partition_rows.pop(scope, None)

    # statements
    def add(self, stmt):
        with self.lock:
            self.statements[stmt.handle] = stmt
            self.order.append(stmt.handle)
            if stmt.parent is None:
                self.by_request[stmt.request_id] = stmt.handle

    def get(self, handle):
        with self.lock:
            return self.statements.get(handle)

    def find_request(self, request_id):
        with self.lock:
            handle = self.by_request.get(request_id)
            return self.statements.get(handle) if handle else None

    def keep(self, stmt):
        with self.lock:
            self.kept.append(stmt.handle)
            while len(self.kept) > MAX_KEPT_RESULTS:
                old = self.statements.get(self.kept.pop(0))
                if old is not None:
                    old.rows = None
                    old.gz_cache = {}

    def listing(self, scope=None):
        with self.lock:
            out = []
            for h in self.order:
                s = self.statements[h]
                if scope is None or s.scope == scope:
                    out.append({"statementHandle": s.handle, "requestId": s.request_id, "statement": s.text,
                                "executions": s.executions, "status": s.status, "warehouse": s.warehouse,
                                "database": s.database, "schema": s.schema, "createdOn": s.created_on,
                                "parent": s.parent})
            return out

    # execution
    def start(self, stmt):
        threading.Thread(target=self.run, args=(stmt,), name="stmt-" + stmt.handle[:8], daemon=True).start()
        if stmt.timeout and stmt.timeout > 0:
            timer = threading.Timer(stmt.timeout, self.cancel_statement, args=(stmt, "timeout"))
            timer.daemon = True
            timer.start()

    def cancel_statement(self, stmt, reason="cancel"):
        """Stops a statement that has not finished; True when it was still running."""
        with self.lock:
            if stmt.done.is_set():
                return False
            if stmt.cancel_reason is None:
                stmt.cancel_reason = reason
            stmt.cancel.set()
            duck = stmt.duck
        if duck is not None:
            try:
                duck.interrupt()
            except Exception:
                pass
        for child in list(stmt.children):
            c = self.get(child)
            if c is not None:
                self.cancel_statement(c, reason)
        return True

    def finish(self, stmt, status, failure=None):
        stmt.failure = failure
        stmt.status = status
        stmt.done.set()

    def canceled(self, stmt):
        if stmt.cancel_reason == "timeout":
            self.finish(stmt, "timeout", Failure("000630", "57014",
                                                 "Statement reached its statement timeout and was canceled.", 408))
        else:
            self.finish(stmt, "canceled", Failure("000604", "57014", "SQL execution canceled"))

    def run(self, stmt):
        try:
            if stmt.delay_ms and stmt.cancel.wait(stmt.delay_ms / 1000.0):
                return self.canceled(stmt)
            parts = split_statements(stmt.text)
            wanted = str(stmt.parameters.get("MULTI_STATEMENT_COUNT",
                                             stmt.parameters.get("multi_statement_count", "1")))
            try:
                wanted_n = int(wanted)
            except ValueError:
                return self.finish(stmt, "failed", Failure("002153", "22023",
                                                           "Invalid value [%s] for parameter MULTI_STATEMENT_COUNT"
                                                           % wanted))
            if wanted_n != 0 and len(parts) != wanted_n:
                return self.finish(stmt, "failed", Failure(
                    "000008", "0A000", "Actual statement count %d did not match the desired statement count %d."
                    % (len(parts), wanted_n)))
            if len(parts) <= 1:
                return self.execute(stmt, stmt.text)
            self.run_multi(stmt, parts)
        except Exception as e:  # a bug of the stand-in: say so, never hang the client
            traceback.print_exc()
            if not stmt.done.is_set():
                self.finish(stmt, "failed", Failure("000603", "XX000", "SQL execution internal error: %s" % e))

    def run_multi(self, stmt, parts):
        children = []
        for text in parts:
            child = Statement(text, stmt.request_id, stmt.scope, stmt.warehouse, stmt.database, stmt.schema,
                              None, {k: v for k, v in stmt.parameters.items()
                                     if k.upper() != "MULTI_STATEMENT_COUNT"},
                              None, 0, stmt.partition_rows, parent=stmt.handle)
            self.add(child)
            children.append(child)
        stmt.children = [c.handle for c in children]
        self.count_execution(stmt, engine=False)
        for i, child in enumerate(children):
            if stmt.cancel.is_set():
                child.cancel_reason = stmt.cancel_reason
                self.canceled(child)
                continue
            self.execute(child, child.text)
            if child.status != "succeeded":
                for rest in children[i + 1:]:
                    self.finish(rest, "failed", Failure("000603", "XX000", "Statement not executed: an earlier "
                                                        "statement of the request failed."))
                f = child.failure
                return self.finish(stmt, "canceled" if child.status == "canceled" else "failed",
                                   Failure(f.code, f.sql_state, f.message, f.http_status))
        stmt.row_type = [{"name": "multiple statement execution", "database": "", "schema": "", "table": "",
                          "nullable": False, "type": "text", "byteLength": TEXT_LENGTH, "length": TEXT_LENGTH,
                          "scale": None, "precision": None, "collation": None}]
        stmt.rows = [[MULTI_MESSAGE]]
        stmt.num_rows = 1
        stmt.partitions = [(0, 1)]
        self.keep(stmt)
        self.finish(stmt, "succeeded")

    def execute(self, stmt, text):
        eng = self.engine
        params, batch = None, None
        try:
            if stmt.bindings:
                keys = sorted(stmt.bindings, key=lambda k: int(k))
                values = [binding_value(stmt.bindings[k]) for k in keys]
                if any(isinstance(v, list) for v in values):
                    lengths = {len(v) for v in values if isinstance(v, list)}
                    if len(lengths) != 1 or not all(isinstance(v, list) for v in values):
                        raise ValueError("array bindings must all be arrays of the same length")
                    batch = [tuple(r) for r in zip(*values)]
                else:
                    params = tuple(values)
        except (ValueError, TypeError, decimal.InvalidOperation, ArithmeticError) as e:
            return self.finish(stmt, "failed", Failure("002049", "22023", "Invalid bindings: %s" % e))
        with eng.lock:
            if stmt.cancel.is_set():
                return self.canceled(stmt)
            conn = eng.fs.connect(database=stmt.database, schema=stmt.schema)
            try:
                tz = stmt.parameters.get("timezone", stmt.parameters.get("TIMEZONE"))
                if tz:
                    try:
                        conn._duck_conn.execute("SET TimeZone = ?", [str(tz)])
                    except duckdb.Error as e:
                        return self.finish(stmt, "failed", Failure("002097", "22023",
                                                                   "Invalid value [%s] for parameter TIMEZONE: %s"
                                                                   % (tz, e)))
                stmt.duck = conn._duck_conn
                cur = conn.cursor()
                self.count_execution(stmt)
                try:
                    if batch is not None:
                        total = 0
                        for row in batch:
                            if stmt.cancel.is_set():
                                raise duckdb.InterruptException("canceled")
                            cur.execute(text, binding_params=row, server=True)
                            total += cur.rowcount or 0
                    elif params is not None:
                        cur.execute(text, binding_params=params, server=True)
                    else:
                        cur.execute(text)
                    table = cur._arrow_table
                    description = cur._duck_conn.description
                except duckdb.InterruptException:
                    return self.canceled(stmt)
                except sf_errors.Error as e:
                    if stmt.cancel.is_set() and "INTERRUPT" in str(e).upper():
                        return self.canceled(stmt)
                    code = "%06d" % e.errno if isinstance(e.errno, int) and e.errno > 0 else "000603"
                    msg = getattr(e, "raw_msg", None) or getattr(e, "msg", None) or str(e)
                    return self.finish(stmt, "failed", Failure(code, e.sqlstate or "XX000", msg))
                except duckdb.Error as e:
                    if stmt.cancel.is_set():
                        return self.canceled(stmt)
                    return self.finish(stmt, "failed", Failure("100000", "22000", str(e)))
                finally:
                    stmt.duck = None
                if stmt.cancel.is_set():
                    return self.canceled(stmt)
                if table is None:
                    table = pa.table({"status": [SUCCESS_MESSAGE]})
                    description = None
                row_type, rows = encode_table(table, description)
                if batch is not None and rows and len(row_type) >= 1 and row_type[0]["name"].startswith("number of rows"):
                    rows = [[str(total)] + ["0"] * (len(row_type) - 1)]
            finally:
                conn.close()
        stmt.row_type, stmt.rows, stmt.num_rows = row_type, rows, len(rows)
        size = max(1, stmt.partition_rows)
        stmt.partitions = [(i, min(i + size, len(rows))) for i in range(0, len(rows), size)] or [(0, 0)]
        first = row_type[0]["name"] if row_type else ""
        if first == "number of rows inserted":
            stmt.stats = {"numRowsInserted": int(rows[0][0]), "numDmlDuplicates": 0}
        elif first == "number of rows updated":
            stmt.stats = {"numRowsUpdated": int(rows[0][0]), "numDmlDuplicates": 0}
        elif first == "number of rows deleted":
            stmt.stats = {"numRowsDeleted": int(rows[0][0]), "numDmlDuplicates": 0}
        self.keep(stmt)
        self.finish(stmt, "succeeded")


def split_statements(text):
    """The statements of a request's text (fakesnow's Snowflake parser); the text itself when it is one."""
    try:
        exprs = [e for e in fs_parse(text) if e is not None and not isinstance(e, exp.Semicolon)]
    except Exception:
        return [text]  # let the engine report the syntax error
    if len(exprs) <= 1:
        return [text]
    return [e.sql(dialect="snowflake") for e in exprs]


# --- HTTP -----------------------------------------------------------------------------------------------------
class Dropped(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "kith-snowflake-standin"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    @property
    def state(self):
        return self.server.state

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline().strip()
                n = int(line.split(b";")[0], 16)
                if n == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(n))
                self.rfile.readline()
            body = b"".join(chunks)
        else:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
        if body and self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return body

    def reply(self, status, body=b"", content_type="application/json", headers=()):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def reply_json(self, status, obj, headers=()):
        self.reply(status, json.dumps(obj, ensure_ascii=False), "application/json", headers)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- admin ---------------------------------------------------------------------------------------------
    def admin(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        scope = norm_scope((urllib.parse.parse_qs(url.query).get("scope") or [None])[0])
        body = self.read_body() if method in ("POST", "DELETE") else b""
        st = self.state
        if path == "/_standin/health" and method == "GET":
            return self.reply(200, "ok\n", "text/plain")
        if path == "/_standin/stats":
            if method == "GET":
                return self.reply_json(200, st.snapshot(scope))
            if method == "DELETE":
                st.reset(scope)
                return self.reply_json(200, st.snapshot(scope))
        if path == "/_standin/statements" and method == "GET":
            return self.reply_json(200, st.listing(scope))
        if path == "/_standin/faults":
            if method == "DELETE":
                st.clear_faults(scope)
                return self.reply_json(200, {"pending": st.pending(scope), "partition_rows": None})
            if method == "POST":
                try:
                    rule = json.loads(body or b"{}")
                    if not isinstance(rule, dict):
                        raise ValueError("a JSON object is expected")
                    if "partition_rows" in rule:
                        n = int(rule["partition_rows"])
                        if n < 1:
                            raise ValueError("partition_rows must be at least 1")
                        with st.lock:
                            st.partition_rows[scope] = n
                        return self.reply_json(200, {"pending": st.pending(scope), "partition_rows": n})
                    rule["count"] = int(rule.get("count", 1))
                    if rule["count"] < 1:
                        raise ValueError("count must be at least 1")
                    rule["every"] = int(rule.get("every", 1))
                    if rule["every"] < 1:
                        raise ValueError("every must be at least 1")
                    kinds = ("status", "drop", "drop_after_execute", "delay_ms", "expire_token")
                    if not any(k in rule for k in kinds):
                        raise ValueError("one of %s or partition_rows is needed" % ", ".join(kinds))
                    if "status" in rule:
                        rule["status"] = int(rule["status"])
                    if "delay_ms" in rule:
                        rule["delay_ms"] = float(rule["delay_ms"])
                    if scope is not None:
                        rule["scope"] = scope
                except (ValueError, TypeError) as e:
                    return self.reply_json(400, {"error": str(e)})
                with st.lock:
                    st.faults.append(rule)
                return self.reply_json(200, {"pending": st.pending(scope),
                                             "partition_rows": st.partition_rows.get(scope)})
        return self.reply_json(404, {"error": "no such admin route"})

    # --- authentication ------------------------------------------------------------------------------------
    def unauthorized(self, scope, code, message):
        self.state.count(scope, "unauthorized")
        self.reply_json(401, {"code": code, "message": "%s [%s]" % (message, uuid.uuid4())})

    def authenticate(self, scope, expire):
        """True when the request's credential checks out; else answers 401 and returns False."""
        st = self.state
        kind = (self.headers.get("X-Snowflake-Authorization-Token-Type") or "OAUTH").strip().upper()
        auth = (self.headers.get("Authorization") or "").strip()
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            self.unauthorized(scope, "390101", "Authorization header not found in the request data.")
            return False
        if kind == "KEYPAIR_JWT":
            if expire or not self.jwt_ok(token):
                self.unauthorized(scope, "390144", "JWT token is invalid.")
                return False
            return True
        if kind in ("OAUTH", "PROGRAMMATIC_ACCESS_TOKEN"):
            if not hmac.compare_digest(token.encode(), st.token.encode()):
                self.unauthorized(scope, "390303", "Invalid OAuth access token.")
                return False
            if expire:
                self.unauthorized(scope, "390318", "OAuth access token expired.")
                return False
            return True
        self.unauthorized(scope, "390101", "Unsupported authorization token type %s." % kind)
        return False

    def jwt_ok(self, token):
        st = self.state
        try:
            claims = jwt.decode(token, st.public_key, algorithms=["RS256"], leeway=60,
                                options={"require": ["iss", "sub", "iat", "exp"], "verify_aud": False})
        except jwt.PyJWTError as e:
            self.log_message("JWT rejected: %s", e)
            return False
        iss, sub = claims.get("iss"), claims.get("sub")
        want_sub = "%s.%s" % (st.account, st.user)
        want_iss = "%s.%s" % (want_sub, st.fingerprint)
        if iss != want_iss or sub != want_sub:
            self.log_message("JWT rejected: iss %r sub %r, want %r and %r", iss, sub, want_iss, want_sub)
            return False
        try:
            iat, expiry = float(claims["iat"]), float(claims["exp"])
        except (TypeError, ValueError):
            return False
        if expiry - iat > 3600 or iat > time.time() + 60:
            self.log_message("JWT rejected: iat %s exp %s (lifetime over an hour, or issued in the future)",
                             iat, expiry)
            return False
        return True

    # --- the SQL API ---------------------------------------------------------------------------------------
    def snowflake_error(self, status, code, message, headers=()):
        self.reply_json(status, {"code": code, "message": message}, headers)

    def checked_fault(self, scope, method, path, submission):
        """Authenticates the request, then uses up the fault rule that applies to it: the rule (a copy), None, or
        False when the request was answered 401 (an expire_token rule answers so and is used up; other rules
        are not used up by a request that fails authentication)."""
        st = self.state
        rule = st.find_fault(scope, method, path, submission)
        if rule is not None and rule.get("expire_token"):
            st.use_fault(rule)
            self.authenticate(scope, expire=True)
            return False
        if not self.authenticate(scope, expire=False):
            return False
        return st.use_fault(rule)

    def apply_fault(self, fault, scope):
        """Answers or drops per the fault; True when the request is over."""
        if fault is None:
            return False
        if fault.get("drop"):
            self.state.count(scope, "faulted")
            self.drop()
            return True
        if "status" in fault:
            self.state.count(scope, "faulted")
            status = fault["status"]
            code, message = FAULT_BODIES.get(status, ("390500", "Injected failure."))
            headers = []
            if "retry_after" in fault:
                headers.append(("Retry-After", str(fault["retry_after"])))
            self.snowflake_error(status, code, fault.get("message", message), headers)
            return True
        return False

    def api(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path.rstrip("/")
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        st = self.state
        body = self.read_body() if method == "POST" else b""
        rest = path[len(STATEMENT_PATH):].strip("/")
        parts = rest.split("/") if rest else []

        if method == "POST" and not parts:
            return self.submit(query, body)
        if parts and len(parts) <= 2:
            stmt = st.get(parts[0])
            scope = stmt.scope if stmt else None
            fault = self.checked_fault(scope, method, path, submission=False)
            if fault is False:
                return
            if self.apply_fault(fault, scope):
                return
            if stmt is None:
                return self.reply_json(404, {"code": "000709", "sqlState": "02000",
                                             "message": "Statement %s not found" % parts[0],
                                             "statementHandle": parts[0]})
            if len(parts) == 1 and method == "GET":
                if not stmt.done.is_set():
                    st.count(scope, "running")
                return self.status_reply(stmt, query)
            if len(parts) == 2 and parts[1] == "cancel" and method == "POST":
                if st.cancel_statement(stmt):
                    st.count(scope, "cancelled")
                return self.reply_json(200, {"code": "000000", "sqlState": "00000",
                                             "message": "successfully canceled", "statementHandle": stmt.handle,
                                             "statementStatusUrl": stmt.status_url()})
        self.snowflake_error(404, "390404", "No API found for '%s %s'" % (method, url.path))

    def submit(self, query, body):
        st = self.state
        try:
            req = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            req = None
        warehouse = req.get("warehouse") if isinstance(req, dict) else None
        scope = norm_scope(warehouse)
        fault = self.checked_fault(scope, "POST", STATEMENT_PATH, submission=True)
        if fault is False:
            return
        if self.apply_fault(fault, scope):
            return
        if not isinstance(req, dict) or not isinstance(req.get("statement"), str) or not req["statement"].strip():
            return self.snowflake_error(400, "390142", "Incoming request does not contain a valid payload.")
        bindings = req.get("bindings")
        if bindings is not None and (not isinstance(bindings, dict) or not all(str(k).isdigit() for k in bindings)):
            return self.snowflake_error(400, "390142", "Incoming request does not contain a valid payload.")
        parameters = req.get("parameters") or {}
        if not isinstance(parameters, dict):
            return self.snowflake_error(400, "390142", "Incoming request does not contain a valid payload.")
        request_id = query.get("requestId") or str(uuid.uuid4())
        retry = query.get("retry", "").lower() == "true"
        wait = query.get("async", "").lower() != "true"
        st.count(scope, "submitted")

        stmt = st.find_request(request_id) if retry else None
        if stmt is None:
            try:
                timeout = float(req.get("timeout") or 0)
            except (TypeError, ValueError):
                return self.snowflake_error(400, "390142", "Incoming request does not contain a valid payload.")
            stmt = Statement(req["statement"], request_id, scope, warehouse, req.get("database"),
                             req.get("schema"), bindings, parameters, timeout,
                             (fault or {}).get("delay_ms", 0), st.partition_size(scope))
            st.add(stmt)
            st.start(stmt)
        else:
            self.log_message("requestId %s resubmitted with retry=true: statement %s, not run again",
                             request_id, stmt.handle)
        if fault and fault.get("drop_after_execute"):
            stmt.done.wait(st.sync_wait)
            st.count(scope, "faulted")
            return self.drop()
        if wait:
            stmt.done.wait(st.sync_wait)
        self.status_reply(stmt, {"nullable": query.get("nullable", "true")})

    def status_reply(self, stmt, query):
        if not stmt.done.is_set():
            return self.reply_json(202, {"code": "333334", "message": ASYNC_MESSAGE,
                                         "statementHandle": stmt.handle,
                                         "statementStatusUrl": stmt.status_url()})
        if stmt.failure is not None:
            f = stmt.failure
            return self.reply_json(f.http_status, {"code": f.code, "message": f.message, "sqlState": f.sql_state,
                                                   "statementHandle": stmt.handle, "createdOn": stmt.created_on,
                                                   "statementStatusUrl": stmt.status_url()})
        if stmt.rows is None:
            return self.reply_json(422, {"code": "000709", "sqlState": "02000", "statementHandle": stmt.handle,
                                         "message": "The result of statement %s is no longer available."
                                                    % stmt.handle})
        try:
            partition = int(query.get("partition", "0") or 0)
        except ValueError:
            partition = -1
        if partition < 0 or partition >= len(stmt.partitions):
            return self.reply_json(422, {"code": "000709", "sqlState": "02000", "statementHandle": stmt.handle,
                                         "message": "Partition %s of statement %s does not exist (it has %d)."
                                                    % (query.get("partition"), stmt.handle,
                                                       len(stmt.partitions))})
        nullable = query.get("nullable", "true").lower() != "false"
        start, end = stmt.partitions[partition]
        data = stmt.rows[start:end]
        if not nullable:
            data = [["null" if v is None else v for v in row] for row in data]
        link = self.link_header(stmt, partition)
        if partition > 0:
            self.state.count(stmt.scope, "partitions")
            raw = json.dumps({"data": data}, ensure_ascii=False).encode("utf-8")
            if "gzip" in (self.headers.get("Accept-Encoding") or "").lower():
                return self.reply(200, gzip.compress(raw, 6), "application/json",
                                  [("Content-Encoding", "gzip"), ("Link", link)])
            return self.reply(200, raw, "application/json", [("Link", link)])
        infos = []
        for i, (s, e) in enumerate(stmt.partitions):
            raw = json.dumps(stmt.rows[s:e], ensure_ascii=False).encode("utf-8")
            info = {"rowCount": e - s, "uncompressedSize": len(raw)}
            if i > 0:
                if i not in stmt.gz_cache:
                    stmt.gz_cache[i] = len(gzip.compress(raw, 6))
                info["compressedSize"] = stmt.gz_cache[i]
            infos.append(info)
        result = {
            "resultSetMetaData": {"numRows": stmt.num_rows, "format": "jsonv2", "partitionInfo": infos,
                                  "rowType": stmt.row_type},
            "data": data,
            "code": "090001",
            "statementStatusUrl": stmt.status_url(),
            "requestId": stmt.request_id,
            "sqlState": "00000",
            "statementHandle": stmt.handle,
            "message": SUCCESS_MESSAGE,
            "createdOn": stmt.created_on,
        }
        if stmt.stats:
            result["stats"] = stmt.stats
        if stmt.children:
            result["statementHandles"] = list(stmt.children)
        self.reply_json(200, result, [("Link", link)])

    def link_header(self, stmt, partition):
        def url(n):
            return "<%s/%s?requestId=%s&partition=%d>" % (STATEMENT_PATH, stmt.handle,
                                                          urllib.parse.quote(stmt.request_id), n)
        last = len(stmt.partitions) - 1
        links = ['%s; rel="first"' % url(0)]
        if partition < last:
            links.append('%s; rel="next"' % url(partition + 1))
        if partition > 0:
            links.append('%s; rel="prev"' % url(partition - 1))
        links.append('%s; rel="last"' % url(last))
        return ",".join(links)

    def dispatch(self, method):
        try:
            if self.path.startswith("/_standin/"):
                return self.admin(method)
            if urllib.parse.urlsplit(self.path).path.startswith(STATEMENT_PATH):
                return self.api(method)
            if method == "POST":
                self.read_body()
            self.snowflake_error(404, "390404", "No API found for '%s %s'" % (method, self.path))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    ap.add_argument("--port-file", help="write the port listened on here once the server answers")
    ap.add_argument("--db-path", required=True, help="folder of fakesnow's DuckDB files (one per database)")
    ap.add_argument("--public-key", required=True, help="PEM public key that verifies key-pair JWTs")
    ap.add_argument("--token-file", required=True, help="file holding the OAuth / programmatic access token")
    ap.add_argument("--account", default="STANDIN")
    ap.add_argument("--user", default="KITH")
    ap.add_argument("--database", default="KITH", help="database created at start (with --schema in it)")
    ap.add_argument("--schema", default="PUBLIC")
    ap.add_argument("--partition-rows", type=int, default=10000, help="rows per result partition")
    ap.add_argument("--sync-wait", type=float, default=45.0,
                    help="seconds a synchronous submission waits before answering 202")
    args = ap.parse_args()
    os.makedirs(args.db_path, exist_ok=True)
    with open(args.public_key, "rb") as f:
        public_key = f.read()
    with open(args.token_file) as f:
        token = f.read().strip()
    engine = Engine(args.db_path, args.database.upper(), args.schema.upper())
    state = State(engine, public_key, token, args.account, args.user, args.partition_rows, args.sync_wait)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = state
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    sys.stderr.write("snowflake stand-in on 127.0.0.1:%d (fakesnow, db %s; account %s, user %s)\n"
                     % (port, args.db_path, state.account, state.user))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
