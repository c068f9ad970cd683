#!/usr/bin/env python3
"""The BigQuery stand-in (started by scripts/standin.sh start bigquery; see scripts/standin/bigquery.sh).

It listens on 127.0.0.1 and answers a subset of BigQuery's REST API v2, and Google's OAuth 2.0 token endpoint
for service accounts, as Google documents them. Every statement is transpiled by sqlglot from BigQuery's
GoogleSQL to DuckDB's dialect and run on one DuckDB database (a file): the answers are DuckDB's, computed from
the data loaded into it; nothing is made up.

At start (--fresh: a cold start) it wipes the database, creates the dataset `kith` (datasets are DuckDB
schemas), generates a service-account key (RSA 2048, PKCS#8 PEM) and writes it as Google's key JSON file
(mode 0600; token_uri = this server's /token), writes a plain access token to --access-token-file (0600), and
last writes its port to --port-file.

Authentication
  POST /token   form `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=JWT` (RFC 7523, as
                Google's token endpoint takes it from a service account). The JWT is checked with PyJWT: RS256
                signed by the key file's private key, header `kid` = private_key_id, `iss` = client_email,
                `aud` = the key file's token_uri, `scope` (space-separated) containing
                https://www.googleapis.com/auth/bigquery or .../auth/cloud-platform (which Google accepts for
                BigQuery too), `iat` not in the future (60 s leeway), `exp` in the future and at most 3600 s
                after `iat`. Answer {"access_token", "expires_in": 3599, "token_type": "Bearer"}. Failures as
                Google's: 400 {"error": "invalid_grant", "error_description": "Invalid JWT Signature."} (bad
                signature or unknown kid), "Invalid JWT: Token must be a short-lived token (60 minutes) and in a
                reasonable timeframe. Check your iat and exp values in the JWT claim." (times),
                "Invalid grant: account not found" (iss), "Invalid JWT: Failed audience check..." (aud);
                400 {"error": "invalid_scope", ...}; 400 {"error": "unsupported_grant_type", ...};
                400 {"error": "invalid_request", ...} (no assertion).
                `/token?scope=ID` (a copy of the key file whose token_uri carries it) scopes the token
                endpoint's faults and counters to ID; `aud` may then be either URL.
  Every API call needs `Authorization: Bearer TOKEN`: a token from /token that has not expired, or the plain
  access token (it never expires; for BIGQUERY_ACCESS_TOKEN). Else 401 with `WWW-Authenticate: Bearer ...` and
  {"error": {"code": 401, "message": "Request had invalid authentication credentials. Expected OAuth 2 access
  token, ...", "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError",
  "location": "Authorization", "locationType": "header"}], "status": "UNAUTHENTICATED"}}.

API (paths under /bigquery/v2; JSON bodies; answers JSON)
  POST /projects/{projectId}/queries                                  jobs.query
       body: query, useLegacySql (must be false: only GoogleSQL is supported; absent means legacy SQL in v2,
       so it is refused with invalidQuery), requestId (idempotency: a repeated requestId in the same project
       returns the same job, which is not run again), location (US only; another location answers 404 as a
       dataset not found there), parameterMode NAMED|POSITIONAL, queryParameters [{name, parameterType: {type,
       arrayType?}, parameterValue: {value | arrayValues}}] (scalar types and arrays of them), timeoutMs
       (default 10000: how long to wait for the job before answering jobComplete false), maxResults (rows in
       the first page), defaultDataset {projectId, datasetId}, formatOptions.useInt64Timestamp,
       jobCreationMode (accepted; a job is always created), dryRun (refused), labels (ignored).
       answer: {"kind": "bigquery#queryResponse", "jobReference": {projectId, jobId, location}, "jobComplete",
       and once complete "schema": {"fields": [{name, type, mode}]}, "totalRows", "rows": [{"f": [{"v"}]}]
       (absent when there are none, as BigQuery does), "pageToken" (when more rows follow),
       "totalBytesProcessed": "0", "cacheHit": false, "numDmlAffectedRows" and "dmlStats" (DML)}.
  GET  /projects/{projectId}/queries/{jobId}                         jobs.getQueryResults
       ?location=&pageToken=&startIndex=&maxResults=&timeoutMs=&formatOptions.useInt64Timestamp=true
       the same shape with kind bigquery#getQueryResultsResponse; jobComplete false while the job runs.
  GET  /projects/{projectId}/jobs/{jobId}?location=                  jobs.get
       {"kind": "bigquery#job", "id", "jobReference", "configuration": {"jobType": "QUERY", "query": {...}},
       "statistics": {creationTime, startTime, endTime, "query": {statementType, ...}},
       "status": {"state": PENDING|RUNNING|DONE, "errorResult"?, "errors"?}}
  POST /projects/{projectId}/jobs/{jobId}/cancel?location=           jobs.cancel
       {"kind": "bigquery#jobCancelResponse", "job": {...}}; the job stops (a delayed one before it runs, a
       running one through DuckDB's interrupt) and ends DONE with errorResult {"reason": "stopped",
       "message": "Job execution was cancelled: User requested cancellation"}.
  Jobs are per project (another project's job is 404 notFound); storage is not: every project id sees the
  same datasets (tests use a project id of their own to scope faults and counters).
  Failed jobs: jobs.query and jobs.getQueryResults answer the job's error as an HTTP error,
  {"error": {"code", "message", "errors": [{"message", "domain": "global", "reason", "location": "q",
  "locationType": "parameter", "debugInfo"?}], "status"}}: invalidQuery 400 INVALID_ARGUMENT (sqlglot's
  parse error or DuckDB's message), notFound 404 NOT_FOUND ("Not found: Table p:d.t was not found in location
  US", "Not found: Dataset p:d was not found in location US"; DuckDB's message in debugInfo), duplicate 409
  ALREADY_EXISTS ("Already Exists: Table p:d.t"), stopped 400 (cancelled). jobs.get answers 200 with the
  error in status.errorResult.

Values (rows[].f[].v; all text, null for NULL), as BigQuery's JSON:
  INTEGER "12"; FLOAT as BigQuery (Java) prints doubles: "1.5", "100.0", "1.0E7", "1.5E-5", "NaN",
  "Infinity"; NUMERIC/BIGNUMERIC the exact decimal without trailing zeros ("1.5", "100", "0"); BOOLEAN
  "true"/"false"; STRING as is; BYTES base64; DATE "2024-01-02"; TIME "10:00:00" ("10:00:00.500000" with a
  fraction); DATETIME "2024-01-02T10:00:00" (likewise); TIMESTAMP microseconds since the epoch
  "1700000000000000" with formatOptions.useInt64Timestamp=true, else seconds as a double, "1.7E9";
  ARRAY (mode REPEATED) [{"v": ...}]; STRUCT (type RECORD, "fields") {"f": [{"v": ...}]}.
  Result types from DuckDB's: BIGINT/INTEGER/... INTEGER; DOUBLE/FLOAT FLOAT; DECIMAL(p,s) NUMERIC when
  s <= 9 and p - s <= 29, else BIGNUMERIC; VARCHAR STRING; BOOLEAN; BLOB BYTES; DATE; TIME; TIMESTAMP DATETIME;
  TIMESTAMP WITH TIME ZONE TIMESTAMP; anything else (INTERVAL, MAP, nested TIMESTAMPTZ) its DuckDB text,
  STRING. Unnamed result columns are named f0_, f1_, ... as BigQuery names them.

SQL: sqlglot.transpile's parse (read="bigquery") and generation (write="duckdb"), with these tree rewrites
before generation (what the transpile would otherwise lose or get wrong):
  - Table names: `project.dataset.table` drops the project (storage is shared), `dataset.table` stays,
    a bare `table` goes into defaultDataset (none: BigQuery's "must be qualified with a dataset" error);
    names of CTEs and the new name of ALTER TABLE ... RENAME TO stay bare. CREATE/DROP SCHEMA [p.]d: datasets.
  - `d.INFORMATION_SCHEMA.COLUMNS|TABLES|SCHEMATA|VIEWS` and `region-us.INFORMATION_SCHEMA.SCHEMATA` become
    subqueries over DuckDB's catalog with BigQuery's column names (table_catalog, table_schema, table_name,
    column_name, ordinal_position, is_nullable, data_type, ...; schemata: catalog_name, schema_name, location)
    and BigQuery type names in data_type (INT64, FLOAT64, NUMERIC, NUMERIC(p, s), BIGNUMERIC,
    BIGNUMERIC(p, s), STRING, BOOL, BYTES, DATE, TIME, DATETIME, TIMESTAMP, ARRAY<...>).
  - Types: NUMERIC -> DECIMAL(38,9) (sqlglot writes a bare DECIMAL, which DuckDB reads as DECIMAL(18,3));
    NUMERIC(p[,s]) -> DECIMAL(p,s); BIGNUMERIC -> DECIMAL(38,18) (DuckDB's decimals stop at 38 digits: the
    stand-in's BIGNUMERIC holds 20 integer and 18 fractional digits; sqlglot would write DECIMAL(38,5));
    BIGNUMERIC(p[,s]) -> DECIMAL(p,s) when p <= 38, else an error. A literal cast to BIGNUMERIC (CAST('..' AS
    BIGNUMERIC), BIGNUMERIC '..') with more fractional digits than the column keeps is an error rather than
    rounded; a value with too many integer digits is DuckDB's conversion error. INT64 BIGINT, FLOAT64 DOUBLE,
    STRING VARCHAR, BOOL BOOLEAN, BYTES BLOB, DATETIME TIMESTAMP, TIMESTAMP TIMESTAMPTZ (session time zone UTC).
  - CAST/SAFE_CAST(x AS INT64) of text follows BigQuery (only an optionally signed run of digits, or hex, is
    an INT64; DuckDB would round '1.5' to 2); of BOOL, only 'true'/'false' in any case (DuckDB also takes
    't', 'yes', '1', ...); of DATE, only 'YYYY-[M]M-[D]D' (DuckDB also takes '2024-01-02 10:00:00').
  - INSERT ... VALUES: each value is cast to its column's DuckDB type (DuckDB would first unify the rows'
    types, and DECIMAL(38,18) beside an INTEGER becomes a narrower decimal: silent rounding).
  - x / y with y = 0 is an error ("division by zero: x / y"), as BigQuery's (DuckDB gives Infinity/NaN);
    IEEE_DIVIDE(x, y) is DuckDB's double division. DATE_ADD/DATE_SUB give a DATE (DuckDB: a TIMESTAMP).
    EXTRACT(DATE FROM ts) -> CAST(ts AS DATE).
  - COLLATE(s, 'und:ci') and s COLLATE 'und:ci' -> DuckDB's NOCASE collation; '' (binary) -> no collation;
    other collations are an error. (DuckDB compares text bytewise, as BigQuery's default does.)
  - @name parameters -> CAST($name AS <type>) bound to the parameter's text; ? -> positional likewise.
  - Several statements separated by `;` run one after another (a script); the answer is the last one's.
  Known differences left (found by test/support/bigquery_standin_check.py and trials): casts of text to
  TIMESTAMP/DATETIME/NUMERIC/FLOAT64 accept what DuckDB accepts; CAST(float AS STRING) is DuckDB's text
  ('1.0' where BigQuery writes '1'); DATETIME_TRUNC gives a DATE for DAY and coarser parts; SAFE.-prefixed
  functions (SAFE.PARSE_DATE) do not translate; NUMERIC / NUMERIC is a FLOAT (DuckDB divides decimals as
  doubles); DuckDB identifiers are case-insensitive (BigQuery table names are case-sensitive); legacy SQL
  is not supported. Cancel interrupts DuckDB between vectors: one huge single function call (e.g.
  GENERATE_ARRAY of 10^8 elements) runs to its end first.

Admin routes for tests (no authentication; 127.0.0.1 only), scoped with `?scope=ID` where ID is the
{projectId} of the API path (or the scope of /token?scope=ID); a rule without scope applies to any:
  POST   /_standin/faults[?scope=ID]    JSON, one rule; rules queue up, and each request uses up one count of
         the first rule that applies to it ("count" defaults to 1; optional "method" and "path" (a substring of
         the request path) narrow it; a rule without "path" applies to API requests only, not to /token;
         "every": K spreads it out: of the requests it applies to, only every K-th gets it, the others pass):
           {"status": 429, "reason": "rateLimitExceeded", "retry_after": 1}  answer that error (+ Retry-After)
           {"status": 403, "reason": "rateLimitExceeded"} / {"status": 500|503, "reason": "backendError"}
           {"drop": 1}                 close the connection without answering, before executing anything
           {"drop_after_execute": 1}   jobs.query only: run the statement to its end, then close without
                                       answering (a retry with the same requestId gets the same job)
           {"delay_ms": 3000}          jobs.query only: the statement waits that long before it runs
                                       (cancellable), so the first answer is jobComplete false (with
                                       "wait_ms": N, jobs.query and getQueryResults wait at most N ms for
                                       that job whatever timeoutMs asks, as BigQuery may answer early)
           {"expire_token": 1}         the request is answered 401 as with an expired token, and the token it
                                       carried (if /token issued it) stays expired
           {"page_rows": 3}            sticky (not counted down): results are paged 3 rows a page
           {"token_lifetime_s": 5}     sticky: tokens /token issues last that long (for renewal tests)
         answers {"pending": [rules...], "sticky": {...}}.
  DELETE /_standin/faults[?scope=ID]   forgets the rules (and sticky settings) of that scope, else all.
  GET    /_standin/stats[?scope=ID]    {"queries", "executed", "faulted", "unauthorized", "tokens_issued",
         "cancelled", "incomplete", "pages", "executions_by_request_id": {requestId: n}, "pending": [...]}
         (queries: jobs.query requests that passed authentication; executed: statements run on DuckDB;
         incomplete: answers with jobComplete false; pages: getQueryResults answers for a pageToken).
  DELETE /_standin/stats[?scope=ID]    counters back to 0.
  GET    /_standin/statements[?scope=ID]  [{"job_id", "project", "request_id", "bigquery", "duckdb",
         "executions", "status", "error"?}] oldest first.
  GET    /_standin/health               200 "ok".
"""
import argparse
import base64
import decimal
import http.server
import json
import math
import os
import re
import secrets
import socket
import sys
import threading
import time
import urllib.parse

import duckdb
import jwt
import sqlglot
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlglot import exp

API = re.compile(r"^/bigquery/v2/projects/([^/]+)/(queries|jobs)(?:/([^/]+))?(?:/(cancel))?/?$")
SCOPES_OK = ("https://www.googleapis.com/auth/bigquery", "https://www.googleapis.com/auth/cloud-platform")
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOCATION = "US"
BIGNUMERIC_DEFAULT = (38, 18)
NUMERIC_DEFAULT = (38, 9)
DEFAULT_PAGE_ROWS = 100000
STATUS_TEXT = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
               409: "ALREADY_EXISTS", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
FAULT_MESSAGES = {
    "rateLimitExceeded": ("usageLimits", "Exceeded rate limits: too many api requests per user per method for "
                          "this user_method. For more information, see "
                          "https://cloud.google.com/bigquery/docs/troubleshoot-quotas"),
    "backendError": ("global", "Error encountered during execution. Retrying may solve the problem."),
    "internalError": ("global", "An internal error occurred and the request could not be completed."),
    "quotaExceeded": ("usageLimits", "Quota exceeded: Your project exceeded quota for concurrent queries."),
}
UNAUTH_MESSAGE = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
                  "or other valid authentication credential. See "
                  "https://developers.google.com/identity/sign-in/web/devconsole-project.")
BAD_TIMES = ("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
             "Check your iat and exp values in the JWT claim.")
COUNTERS = ("queries", "executed", "faulted", "unauthorized", "tokens_issued", "cancelled", "incomplete", "pages")


class BQError(Exception):
    """An error answered as BigQuery's error object."""

    def __init__(self, code, reason, message, debug=None, location="q", location_type="parameter"):
        super().__init__(message)
        self.code, self.reason, self.message, self.debug = code, reason, message, debug
        self.location, self.location_type = location, location_type

    def proto(self):
        p = {"message": self.message, "domain": "global", "reason": self.reason}
        if self.location:
            p["location"], p["locationType"] = self.location, self.location_type
        if self.debug:
            p["debugInfo"] = self.debug
        return p

    def body(self):
        return {"error": {"code": self.code, "message": self.message, "errors": [self.proto()],
                          "status": STATUS_TEXT.get(self.code, "UNKNOWN")}}


def stopped():
    return BQError(400, "stopped", "Job execution was cancelled: User requested cancellation", location=None)


def invalid(message, debug=None):
    return BQError(400, "invalidQuery", ANSI.sub("", message), debug and ANSI.sub("", debug))


ANSI = re.compile(r"\x1b\[[0-9;]*m")  # sqlglot underlines the error's place with terminal escapes


# --- value formatting ---------------------------------------------------------------------------------------
def java_double(x):
    """A double as Java's Double.toString prints it (BigQuery's JSON for FLOAT and float TIMESTAMP seconds)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign = "-" if x < 0 else ""
    digits, exponent = _shortest(abs(x))  # value = 0.d1d2... * 10**exponent
    if 1e-3 <= abs(x) < 1e7:
        if exponent <= 0:
            return sign + "0." + "0" * (-exponent) + digits
        if exponent >= len(digits):
            return sign + digits + "0" * (exponent - len(digits)) + ".0"
        return sign + digits[:exponent] + "." + digits[exponent:]
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return "%s%sE%d" % (sign, mantissa, exponent - 1)


def _shortest(ax):
    r = repr(ax)  # Python's repr is the shortest text that reads back as the same double, as Java's is
    mant, _, e = r.partition("e")
    e = int(e) if e else 0
    whole, _, frac = mant.partition(".")
    digits = (whole + frac).lstrip("0")
    lead = len(whole.lstrip("0")) if whole.strip("0") else -(len(frac) - len(frac.lstrip("0")))
    exponent = lead + e
    return digits.rstrip("0") or "0", exponent


def numeric_text(d):
    """A decimal's exact text without trailing fractional zeros (not Decimal.normalize: it rounds to 28 digits)."""
    if d == 0:
        return "0"
    t = format(d, "f")
    if "." in t:
        t = t.rstrip("0").rstrip(".")
    return t


def format_time(t):
    s = t.strftime("%H:%M:%S")
    return s + (".%06d" % t.microsecond if t.microsecond else "")


def format_datetime(dt):
    s = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.year < 1000:
        s = "%04d" % dt.year + s[len(str(dt.year)):]
    return s + (".%06d" % dt.microsecond if dt.microsecond else "")


class Col:
    """How one result column is typed for BigQuery and how its values are written."""

    def __init__(self, name, dtype):
        self.name = name
        self.mode = "NULLABLE"
        self.fields = None
        self.convert = None  # SQL applied to the column before fetching ('epoch_us', 'text'), or None
        tid = dtype.id
        if tid == "list":
            elem = Col(name, dict(dtype.children)["child"])
            self.bq, self.kind, self.mode, self.elem = elem.bq, "list", "REPEATED", elem
            self.fields = elem.fields
            if elem.convert or elem.mode == "REPEATED":
                self._as_text()
            return
        if tid == "struct":
            self.bq, self.kind = "RECORD", "struct"
            self.fields = [Col(n, t) for n, t in dtype.children]
            if any(f.convert for f in self.fields):
                self._as_text()
            return
        self.kind = tid
        if tid in ("bigint", "integer", "smallint", "tinyint", "hugeint", "ubigint", "uinteger", "usmallint",
                   "utinyint", "uhugeint"):
            self.bq = "INTEGER"
        elif tid in ("double", "float"):
            self.bq = "FLOAT"
        elif tid == "decimal":
            c = dict(dtype.children)
            p, s = c["precision"], c["scale"]
            self.bq = "NUMERIC" if s <= 9 and p - s <= 29 else "BIGNUMERIC"
        elif tid == "varchar":
            self.bq = "STRING"
        elif tid == "boolean":
            self.bq = "BOOLEAN"
        elif tid == "blob":
            self.bq = "BYTES"
        elif tid == "date":
            self.bq = "DATE"
        elif tid == "time":
            self.bq = "TIME"
        elif tid in ("timestamp", "timestamp_s", "timestamp_ms", "timestamp_ns"):
            self.bq = "DATETIME"
        elif tid == "timestamp with time zone":
            self.bq, self.convert = "TIMESTAMP", "epoch_us"
        else:
            self._as_text()

    def _as_text(self):
        self.bq, self.kind, self.mode, self.fields, self.convert = "STRING", "varchar", "NULLABLE", None, "text"

    def schema(self):
        f = {"name": self.name, "type": self.bq, "mode": self.mode}
        if self.fields is not None and self.bq == "RECORD":
            f["fields"] = [c.schema() for c in self.fields]
        return f

    def cell(self, v):
        """A fetched value as stored for the answer (TIMESTAMP stays microseconds until the answer's format)."""
        if v is None:
            return None
        if self.mode == "REPEATED":
            return [self.elem.cell(x) for x in v]
        k = self.kind
        if k == "struct":
            return {"f": [{"v": f.cell(v.get(f.name) if isinstance(v, dict) else None)} for f in self.fields]}
        if self.bq == "TIMESTAMP":
            return ("ts", int(v))
        if self.bq == "INTEGER":
            return str(int(v))
        if self.bq == "FLOAT":
            return java_double(float(v))
        if self.bq in ("NUMERIC", "BIGNUMERIC"):
            return numeric_text(v)
        if self.bq == "BOOLEAN":
            return "true" if v else "false"
        if self.bq == "BYTES":
            return base64.b64encode(bytes(v)).decode("ascii")
        if self.bq == "DATE":
            return v.isoformat() if v.year >= 1000 else "%04d-%02d-%02d" % (v.year, v.month, v.day)
        if self.bq == "TIME":
            return format_time(v)
        if self.bq == "DATETIME":
            return format_datetime(v)
        return str(v)


def render(v, int64_ts):
    """A stored cell as BigQuery's JSON `v`."""
    if isinstance(v, tuple):
        return str(v[1]) if int64_ts else java_double(v[1] / 1e6)
    if isinstance(v, list):
        return [{"v": render(x, int64_ts)} for x in v]
    if isinstance(v, dict):
        return {"f": [{"v": render(c["v"], int64_ts)} for c in v["f"]]}
    return v


# --- SQL: BigQuery -> DuckDB ------------------------------------------------------------------------------------
DUCK_TYPES = {  # queryParameters' parameterType.type -> DuckDB type
    "STRING": "VARCHAR", "INT64": "BIGINT", "INTEGER": "BIGINT", "FLOAT64": "DOUBLE", "FLOAT": "DOUBLE",
    "BOOL": "BOOLEAN", "BOOLEAN": "BOOLEAN", "NUMERIC": "DECIMAL(38,9)", "BIGNUMERIC": "DECIMAL(38,18)",
    "BIGDECIMAL": "DECIMAL(38,18)", "DATE": "DATE", "TIME": "TIME", "DATETIME": "TIMESTAMP",
    "TIMESTAMP": "TIMESTAMPTZ", "BYTES": "BLOB", "JSON": "JSON",
}

MACROS = r"""
CREATE OR REPLACE TEMP MACRO bq_type_name(t, p, s) AS
  CASE
    WHEN t IN ('BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'HUGEINT', 'UBIGINT', 'UINTEGER', 'USMALLINT',
               'UTINYINT', 'UHUGEINT') THEN 'INT64'
    WHEN t IN ('DOUBLE', 'FLOAT') THEN 'FLOAT64'
    WHEN t = 'DECIMAL(38,9)' THEN 'NUMERIC'
    WHEN t = 'DECIMAL(38,18)' THEN 'BIGNUMERIC'
    WHEN t LIKE 'DECIMAL(%' THEN
      CASE WHEN s <= 9 AND p - s <= 29 THEN 'NUMERIC(' || p || ', ' || s || ')'
           ELSE 'BIGNUMERIC(' || p || ', ' || s || ')' END
    WHEN t = 'VARCHAR' THEN 'STRING'
    WHEN t = 'BOOLEAN' THEN 'BOOL'
    WHEN t = 'BLOB' THEN 'BYTES'
    WHEN t = 'TIMESTAMP' THEN 'DATETIME'
    WHEN t = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP'
    ELSE t
  END;
CREATE OR REPLACE TEMP MACRO bq_type(t, p, s) AS
  CASE WHEN t LIKE '%[]' THEN 'ARRAY<' || bq_type_name(t[1:-3], NULL, NULL) || '>'
       ELSE bq_type_name(t, p, s) END;
CREATE OR REPLACE TEMP MACRO bq_info_columns(ds, proj) AS TABLE
  SELECT proj AS table_catalog, table_schema, table_name, column_name, ordinal_position::BIGINT AS ordinal_position,
         is_nullable, bq_type(data_type, numeric_precision, numeric_scale) AS data_type,
         'NEVER' AS is_generated, CAST(NULL AS VARCHAR) AS generation_expression, CAST(NULL AS BOOLEAN) AS is_stored,
         'NO' AS is_hidden, CAST(NULL AS VARCHAR) AS is_updatable, 'NO' AS is_system_defined,
         'NO' AS is_partitioning_column, CAST(NULL AS BIGINT) AS clustering_ordinal_position,
         CAST(NULL AS VARCHAR) AS collation_name, column_default, CAST(NULL AS VARCHAR) AS rounding_mode
  FROM information_schema.columns
  WHERE table_catalog = current_database() AND table_schema = ds
  ORDER BY table_name, ordinal_position;
CREATE OR REPLACE TEMP MACRO bq_info_tables(ds, proj) AS TABLE
  SELECT proj AS table_catalog, table_schema, table_name, table_type, is_insertable_into, 'NO' AS is_typed,
         CAST(NULL AS TIMESTAMPTZ) AS creation_time, CAST(NULL AS VARCHAR) AS ddl
  FROM information_schema.tables
  WHERE table_catalog = current_database() AND table_schema = ds
  ORDER BY table_name;
CREATE OR REPLACE TEMP MACRO bq_info_views(ds, proj) AS TABLE
  SELECT proj AS table_catalog, table_schema, table_name, view_definition, 'NO' AS check_option,
         'YES' AS use_standard_sql
  FROM information_schema.views
  WHERE table_catalog = current_database() AND table_schema = ds
  ORDER BY table_name;
CREATE OR REPLACE TEMP MACRO bq_info_schemata(proj) AS TABLE
  SELECT proj AS catalog_name, schema_name, CAST(NULL AS VARCHAR) AS schema_owner,
         CAST(NULL AS TIMESTAMPTZ) AS creation_time, CAST(NULL AS TIMESTAMPTZ) AS last_modified_time,
         'US' AS location, CAST(NULL AS VARCHAR) AS ddl, CAST(NULL AS VARCHAR) AS default_collation_name
  FROM information_schema.schemata
  WHERE catalog_name = current_database() AND schema_name NOT IN ('main', 'information_schema', 'pg_catalog')
  ORDER BY schema_name;
CREATE OR REPLACE TEMP MACRO bq_div(a, b) AS
  CASE WHEN b = 0 THEN error('division by zero: ' || CAST(a AS VARCHAR) || ' / ' || CAST(b AS VARCHAR))
       ELSE a / b END;
CREATE OR REPLACE TEMP MACRO bq_ieee_divide(a, b) AS CAST(a AS DOUBLE) / CAST(b AS DOUBLE);
CREATE OR REPLACE TEMP MACRO bq_cast_int64(x) AS
  CASE WHEN typeof(x) = 'VARCHAR'
            AND NOT regexp_full_match(CAST(x AS VARCHAR), '\s*[+-]?([0-9]+|0[xX][0-9a-fA-F]+)\s*')
       THEN error('Bad int64 value: ' || CAST(x AS VARCHAR))
       ELSE CAST(x AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO bq_safe_cast_int64(x) AS
  CASE WHEN typeof(x) = 'VARCHAR'
            AND NOT regexp_full_match(CAST(x AS VARCHAR), '\s*[+-]?([0-9]+|0[xX][0-9a-fA-F]+)\s*')
       THEN CAST(NULL AS BIGINT)
       ELSE TRY_CAST(x AS BIGINT) END;
CREATE OR REPLACE TEMP MACRO bq_cast_date(x) AS
  CASE WHEN typeof(x) = 'VARCHAR' AND NOT regexp_full_match(CAST(x AS VARCHAR), '\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*')
       THEN error('Invalid date: ' || CAST(x AS VARCHAR))
       ELSE CAST(x AS DATE) END;
CREATE OR REPLACE TEMP MACRO bq_safe_cast_date(x) AS
  CASE WHEN typeof(x) = 'VARCHAR' AND NOT regexp_full_match(CAST(x AS VARCHAR), '\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*')
       THEN CAST(NULL AS DATE)
       ELSE TRY_CAST(x AS DATE) END;
CREATE OR REPLACE TEMP MACRO bq_cast_bool(x) AS
  CASE WHEN typeof(x) = 'VARCHAR'
       THEN CASE lower(CAST(x AS VARCHAR)) WHEN 'true' THEN true WHEN 'false' THEN false
                 ELSE error('Bad bool value: ' || CAST(x AS VARCHAR)) END
       ELSE CAST(x AS BOOLEAN) END;
CREATE OR REPLACE TEMP MACRO bq_safe_cast_bool(x) AS
  CASE WHEN typeof(x) = 'VARCHAR'
       THEN CASE lower(CAST(x AS VARCHAR)) WHEN 'true' THEN true WHEN 'false' THEN false END
       ELSE TRY_CAST(x AS BOOLEAN) END;
"""

INFO_VIEWS = {"COLUMNS": "bq_info_columns", "TABLES": "bq_info_tables", "VIEWS": "bq_info_views",
              "SCHEMATA": "bq_info_schemata"}


def _ident(node):
    return node.name if node is not None else ""


def _decimal_type(p, s):
    return exp.DataType.build("DECIMAL(%d, %d)" % (p, s), dialect="duckdb")


def _type_params(dt):
    vals = []
    for e in dt.expressions:
        v = e.this if isinstance(e, exp.DataTypeParam) else e
        try:
            vals.append(int(v.name if hasattr(v, "name") else str(v)))
        except ValueError:
            raise invalid("Invalid type parameters in %s" % dt.sql("bigquery"))
    return vals


def _check_literal_fits(lit, p, s, type_text):
    """A literal cast to a decimal type must fit it without rounding (the stand-in's BIGNUMERIC is narrower)."""
    text = lit.name.strip()
    try:
        d = decimal.Decimal(text)
    except decimal.InvalidOperation:
        return
    if not d.is_finite():
        return
    sign, digits, e = d.as_tuple()
    frac = max(0, -e)
    frac_digits = "".join(map(str, digits))[-frac:] if frac else ""
    needed = len(frac_digits.rstrip("0")) if frac else 0
    if needed > s:
        raise invalid("Invalid %s value: %s (the BigQuery stand-in keeps %s as DuckDB DECIMAL(%d,%d): it would "
                      "have to round)" % (type_text, text, type_text, p, s))


class Translation:
    def __init__(self, statements, kinds, params_needed, positional):
        self.statements = statements  # [(bigquery_sql, duckdb_sql, kind, info_datasets, tree)]
        self.kinds = kinds
        self.params_needed = params_needed
        self.positional = positional


def statement_type(tree):
    if isinstance(tree, exp.Query):
        return "SELECT"
    if isinstance(tree, exp.Insert):
        return "INSERT"
    if isinstance(tree, exp.Update):
        return "UPDATE"
    if isinstance(tree, exp.Delete):
        return "DELETE"
    if isinstance(tree, exp.Merge):
        return "MERGE"
    if isinstance(tree, exp.TruncateTable):
        return "TRUNCATE_TABLE"
    if isinstance(tree, exp.Create):
        kind = (tree.args.get("kind") or "").upper()
        if kind == "SCHEMA":
            return "CREATE_SCHEMA"
        if kind == "VIEW":
            return "CREATE_VIEW"
        if tree.args.get("expression") is not None:
            return "CREATE_TABLE_AS_SELECT"
        return "CREATE_TABLE"
    if isinstance(tree, exp.Drop):
        kind = (tree.args.get("kind") or "").upper()
        return "DROP_SCHEMA" if kind == "SCHEMA" else "DROP_VIEW" if kind == "VIEW" else "DROP_TABLE"
    if isinstance(tree, exp.Alter):
        return "ALTER_TABLE"
    return "SCRIPT"


def translate(sql, default_dataset, project, param_types, catalog):
    """BigQuery SQL -> (duckdb text, kind, datasets of INFORMATION_SCHEMA views) for each statement, rewriting
    the parsed trees as the module's docstring says. A generator: each statement is translated when the one
    before it has run (catalog(dataset, table) -> [(column, DuckDB type)] reads the live catalog)."""
    try:
        trees = [t for t in sqlglot.parse(sql, read="bigquery") if t is not None]
    except sqlglot.errors.ParseError as e:
        raise invalid("Syntax error: %s" % e, "sqlglot: %s" % e)
    except sqlglot.errors.TokenError as e:
        raise invalid("Syntax error: %s" % e, "sqlglot: %s" % e)
    if not trees:
        raise invalid("Syntax error: Unexpected end of script")
    params_needed, positional = set(), 0
    for tree in trees:
        ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
        info = []
        kind = statement_type(tree)

        def fix(node):
            nonlocal positional
            if isinstance(node, exp.Table):
                return fix_table(node)
            if isinstance(node, exp.DataType):
                return fix_type(node)
            if isinstance(node, exp.Collate):
                coll = node.expression
                name = coll.name if isinstance(coll, (exp.Literal, exp.Var, exp.Identifier, exp.Column)) else None
                if name is None:
                    raise invalid("COLLATE needs a literal collation name")
                if name.lower() == "und:ci":
                    return exp.Collate(this=node.this, expression=exp.var("NOCASE"))
                if name in ("", "binary"):
                    return node.this
                raise invalid("Collation '%s' is not supported by the BigQuery stand-in (only 'und:ci' and '')"
                              % name)
            if isinstance(node, (exp.Cast, exp.TryCast)):
                return fix_cast(node)
            if type(node) is exp.Like and not isinstance(node.parent, exp.Escape):
                # GoogleSQL's LIKE escapes \, _ and % with a backslash (it has no ESCAPE clause); DuckDB's LIKE has
                # no escape character unless told. transform() does not descend into a replaced node: fix the
                # operands now.
                like = node.copy()
                like.set("this", like.this.transform(fix))
                like.set("expression", like.expression.transform(fix))
                return exp.Escape(this=like, expression=exp.Literal.string("\\"))
            if isinstance(node, exp.Extract) and node.name.upper() == "DATE":
                # EXTRACT(DATE FROM ts): DuckDB has no DATE specifier; the date of the value (session zone UTC)
                return exp.cast(node.expression, exp.DataType.build("DATE"))
            if type(node) in (exp.DateAdd, exp.DateSub):
                # BigQuery's DATE_ADD/DATE_SUB take and give a DATE; DuckDB's date + interval is a TIMESTAMP
                return exp.cast(node, exp.DataType.build("DATE"))
            if type(node) is exp.Div:
                # BigQuery's x / 0 is an error ("division by zero"); DuckDB's is Infinity or NaN
                return exp.Anonymous(this="bq_div", expressions=[node.this, node.expression])
            if isinstance(node, exp.Anonymous) and node.name.upper() == "IEEE_DIVIDE":
                return exp.Anonymous(this="bq_ieee_divide", expressions=list(node.expressions))
            if isinstance(node, exp.Parameter):
                name = node.name
                params_needed.add(name)
                t = param_types.get(name)
                if t is None:
                    raise invalid("Query parameter '%s' not found" % name)
                return exp.cast(exp.Placeholder(this=name), exp.DataType.build(t, dialect="duckdb"))
            # a bare ? (sqlglot 30 names it "?": test the node's own name, not .name)
            if isinstance(node, exp.Placeholder) and not node.args.get("this"):
                positional += 1
                key = "%d" % positional
                t = param_types.get(key)
                if t is None:
                    raise invalid("Query parameter %d not found" % positional)
                return exp.cast(exp.Placeholder(this="p%d" % positional), exp.DataType.build(t, dialect="duckdb"))
            return node

        def fix_cast(node):
            to = node.args.get("to")
            if to is None:
                return node
            safe = isinstance(node, exp.TryCast) or bool(node.args.get("safe"))
            if to.this in (exp.DataType.Type.BIGINT, exp.DataType.Type.BOOLEAN, exp.DataType.Type.DATE):
                # transform() does not descend into a node it replaced: rewrite the argument (parameters, ...) now
                node = node.copy()
                node.set("this", node.this.transform(fix))
            if to.this == exp.DataType.Type.BIGINT and not to.expressions:
                return exp.Anonymous(this="bq_safe_cast_int64" if safe else "bq_cast_int64", expressions=[node.this])
            if to.this == exp.DataType.Type.BOOLEAN:
                return exp.Anonymous(this="bq_safe_cast_bool" if safe else "bq_cast_bool", expressions=[node.this])
            if to.this == exp.DataType.Type.DATE:
                return exp.Anonymous(this="bq_safe_cast_date" if safe else "bq_cast_date", expressions=[node.this])
            if to.this == exp.DataType.Type.BIGDECIMAL and isinstance(node.this, exp.Literal):
                p, s = BIGNUMERIC_DEFAULT
                if to.expressions:
                    vals = _type_params(to)
                    p, s = vals[0], (vals[1] if len(vals) > 1 else 0)
                _check_literal_fits(node.this, p, s, "BIGNUMERIC")
            return node

        def fix_type(node):
            t = node.this
            if t == exp.DataType.Type.DECIMAL:
                if not node.expressions:
                    return _decimal_type(*NUMERIC_DEFAULT)
                vals = _type_params(node)
                return _decimal_type(vals[0], vals[1] if len(vals) > 1 else 0)
            if t == exp.DataType.Type.BIGDECIMAL:
                if not node.expressions:
                    return _decimal_type(*BIGNUMERIC_DEFAULT)
                vals = _type_params(node)
                p, s = vals[0], (vals[1] if len(vals) > 1 else 0)
                if p > 38:
                    raise invalid("BIGNUMERIC(%d, %d) is wider than the BigQuery stand-in holds (DuckDB decimals "
                                  "have at most 38 digits)" % (p, s))
                return _decimal_type(p, s)
            return node

        def fix_table(node):
            if isinstance(node.parent, exp.AlterRename):
                return node
            if node.this is not None and not isinstance(node.this, exp.Identifier):
                return node  # a table function (the INFORMATION_SCHEMA macros above)
            name, db, catalog = node.name, _ident(node.args.get("db")), _ident(node.args.get("catalog"))
            view = None
            if name.upper().startswith("INFORMATION_SCHEMA."):
                view, ds = name.split(".", 1)[1].upper(), db
            elif db.upper() == "INFORMATION_SCHEMA":
                view, ds = name.upper(), catalog
            if view is not None:
                if view not in INFO_VIEWS:
                    raise invalid("INFORMATION_SCHEMA.%s is not supported by the BigQuery stand-in" % view)
                region = ds == "" or ds.lower().startswith("region-")
                if view == "SCHEMATA":
                    if region and ds and ds.lower() != "region-us":
                        raise BQError(404, "notFound", "Not found: Dataset %s:%s was not found in location %s"
                                      % (project, ds, ds[7:].upper()))
                    q = "SELECT * FROM bq_info_schemata(%s)" % _sql_str(project)
                else:
                    if region:
                        raise invalid("INFORMATION_SCHEMA.%s must be qualified with a dataset" % view)
                    info.append(ds)
                    q = "SELECT * FROM %s(%s, %s)" % (INFO_VIEWS[view], _sql_str(ds), _sql_str(project))
                alias = node.alias or view
                sub = sqlglot.parse_one(q, read="duckdb").subquery(alias)
                return sub
            if kind in ("CREATE_SCHEMA", "DROP_SCHEMA") and not name:
                # CREATE/DROP SCHEMA [project.]dataset: sqlglot puts the dataset in `db`
                return exp.Table(this=exp.to_identifier(db, quoted=True))
            node = node.copy()
            node.set("catalog", None)
            if not db:
                if name.lower() in ctes:
                    return node
                if not default_dataset:
                    raise invalid('Table "%s" must be qualified with a dataset (e.g. dataset.table).' % name)
                node.set("db", exp.to_identifier(default_dataset, quoted=True))
            return node

        tree = tree.transform(fix)
        if kind == "SELECT":
            tree = name_columns(tree)
        if kind == "INSERT":
            tree = cast_insert_values(tree, catalog)
        try:
            duck = tree.sql(dialect="duckdb")
        except sqlglot.errors.SqlglotError as e:
            raise invalid("The BigQuery stand-in cannot translate this statement: %s" % e, "sqlglot: %s" % e)
        yield duck, kind, info


def cast_insert_values(tree, catalog):
    """INSERT ... VALUES: each value is cast to its column's type. DuckDB first unifies the types of a VALUES
    list's rows, and a DECIMAL(38,18) beside an INTEGER becomes a narrower decimal, rounding silently; BigQuery
    coerces each value to the column. A literal with more fractional digits than a BIGNUMERIC-class column
    keeps is an error (BigQuery's BIGNUMERIC would keep them)."""
    values = tree.expression
    if not isinstance(values, exp.Values):
        return tree
    target = tree.this
    names = None
    if isinstance(target, exp.Schema):
        names = [e.name for e in target.expressions]
        target = target.this
    if not isinstance(target, exp.Table):
        return tree
    cols = catalog(target.args.get("db").name if target.args.get("db") else "", target.name)
    if not cols:
        return tree  # DuckDB reports the missing table
    types = {n.lower(): t for n, t in cols}
    order = [n for n, _ in cols] if names is None else names
    wanted = [types.get(n.lower()) for n in order]
    for row in values.expressions:
        if not isinstance(row, exp.Tuple) or len(row.expressions) != len(wanted):
            return tree
    for row in values.expressions:
        new = []
        for v, t in zip(row.expressions, wanted):
            if t is None or isinstance(v, exp.Null):
                new.append(v)
                continue
            m = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", t)
            if m:
                p, sc = int(m.group(1)), int(m.group(2))
                lit = v.this if isinstance(v, exp.Cast) and isinstance(v.this, exp.Literal) else v
                if isinstance(lit, exp.Neg):
                    lit = lit.this
                if isinstance(lit, exp.Literal) and (sc > 9 or p - sc > 29):
                    _check_literal_fits(lit, p, sc, "BIGNUMERIC")
            new.append(exp.Cast(this=v, to=exp.DataType.build(t, dialect="duckdb")))
        row.set("expressions", new)
    return tree


def name_columns(tree):
    """Unnamed select-list expressions get BigQuery's names f0_, f1_, ... (DuckDB would name them by their text)."""
    sel = tree
    while isinstance(sel, exp.SetOperation):
        sel = sel.this
    if isinstance(sel, exp.Subquery):
        return tree
    if not isinstance(sel, exp.Select):
        return tree
    n = 0
    new = []
    for e in sel.expressions:
        if isinstance(e, (exp.Alias, exp.Column, exp.Star)) or (isinstance(e, exp.Dot)):
            new.append(e)
        else:
            new.append(exp.alias_(e, "f%d_" % n))
            n += 1
    sel.set("expressions", new)
    return tree


def _sql_str(s):
    return "'" + s.replace("'", "''") + "'"


def param_binding(params, mode):
    """queryParameters -> ({name: DuckDB type}, {name: value to bind})."""
    types, values = {}, {}
    for i, p in enumerate(params or []):
        ptype = p.get("parameterType") or {}
        pval = p.get("parameterValue") or {}
        t = (ptype.get("type") or "STRING").upper()
        if mode == "POSITIONAL" or not p.get("name"):
            key, bind = "%d" % (i + 1), "p%d" % (i + 1)
        else:
            key = bind = p["name"]
        if t == "ARRAY":
            et = ((ptype.get("arrayType") or {}).get("type") or "STRING").upper()
            if et not in DUCK_TYPES:
                raise invalid("Unsupported query parameter type ARRAY<%s>" % et)
            types[key] = DUCK_TYPES[et] + "[]"
            arr = pval.get("arrayValues")
            values[bind] = None if arr is None else [
                _param_value(et, (v or {}).get("value")) for v in arr]
        else:
            if t not in DUCK_TYPES:
                raise invalid("Unsupported query parameter type %s" % t)
            types[key] = DUCK_TYPES[t]
            values[bind] = _param_value(t, pval.get("value"))
    return types, values


def _param_value(t, v):
    if v is None:
        return None
    if t == "BYTES":
        try:
            return base64.b64decode(v)
        except ValueError:
            raise invalid("Invalid BYTES query parameter: not base64")
    return str(v)


# --- jobs ---------------------------------------------------------------------------------------------------
class Job:
    def __init__(self, project, job_id, request_id, sql, body):
        self.project, self.job_id, self.request_id, self.sql = project, job_id, request_id, sql
        self.body = body
        self.state = "PENDING"
        self.error = None          # BQError when failed
        self.cols = None           # [Col] for queries
        self.rows = []
        self.dml = None            # affected rows (DML)
        self.kind = None
        self.duck = []
        self.executions = 0
        self.created = time.time()
        self.started = self.ended = None
        self.done = threading.Event()
        self.cancel = threading.Event()
        self.delay_s = 0.0
        self.wait_cap_s = None     # the longest a request waits for this job (a delay rule's wait_ms)

    def wait(self, timeout):
        """Waits for the job as a request asking timeoutMs would (seconds; at most wait_cap_s when set)."""
        if self.wait_cap_s is not None:
            timeout = min(timeout, self.wait_cap_s)
        self.done.wait(timeout)

    def ref(self):
        return {"projectId": self.project, "jobId": self.job_id, "location": LOCATION}


class State:
    def __init__(self, db_path, project, key, access_token):
        self.lock = threading.Lock()
        self.db_lock = threading.Lock()
        self.con = duckdb.connect(db_path)
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(MACROS)
        self.project = project
        self.key = key  # the service-account key dict
        self.public_key = serialization.load_pem_private_key(key["private_key"].encode(), None).public_key()
        self.access_token = access_token
        self.tokens = {}  # token -> expiry (epoch seconds)
        self.jobs = {}  # (project, job_id) -> Job
        self.by_request = {}  # (project, request_id) -> Job
        self.statements = []  # Jobs, in order
        self.faults = []  # rules
        self.sticky = {}  # scope -> {"page_rows": n, "token_lifetime_s": n}
        self.stats = {}  # scope -> counters
        self.exec_by_request = {}  # scope -> {request_id: n}

    # counters
    def count(self, scope, what, n=1):
        with self.lock:
            c = self.stats.setdefault(scope, dict.fromkeys(COUNTERS, 0))
            c[what] += n

    def snapshot(self, scope=None):
        with self.lock:
            total = dict.fromkeys(COUNTERS, 0)
            by_req = {}
            for sc, c in self.stats.items():
                if scope is None or sc == scope:
                    for k in COUNTERS:
                        total[k] += c[k]
            for sc, m in self.exec_by_request.items():
                if scope is None or sc == scope:
                    for k, v in m.items():
                        by_req[k] = by_req.get(k, 0) + v
            total["executions_by_request_id"] = by_req
            total["pending"] = [dict(r) for r in self.faults if scope is None or r.get("scope") in (None, scope)]
            total["sticky"] = {k: v for k, v in self.sticky.items() if scope is None or k in (None, scope)}
            return total

    def reset(self, scope=None):
        with self.lock:
            if scope is None:
                self.stats.clear()
                self.exec_by_request.clear()
            else:
                self.stats.pop(scope, None)
                self.exec_by_request.pop(scope, None)

    def sticky_value(self, scope, what):
        with self.lock:
            for sc in (scope, None):
                v = self.sticky.get(sc, {}).get(what)
                if v is not None:
                    return v
            return None

    def take_fault(self, scope, method, path, kinds, is_token=False, is_query=False):
        """The first pending rule (of the given kinds) that applies to this request, counted down (a rule with
        "every" takes its turn only on every K-th request it matches)."""
        with self.lock:
            for i, rule in enumerate(self.faults):
                if rule.get("scope") not in (None, scope):
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule.get("path"):
                    if rule["path"] not in path:
                        continue
                elif is_token:
                    continue
                rk = rule_kind(rule)
                if rk not in kinds:
                    continue
                if rk in ("drop_after_execute", "delay_ms") and not is_query:
                    continue
                rule["seen"] = rule.get("seen", 0) + 1
                if rule["seen"] % rule.get("every", 1) != 0:
                    continue
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.faults.pop(i)
                return dict(rule)
            return None

    # jobs
    def new_job(self, project, request_id, sql, body):
        job_id = "job_" + base64.urlsafe_b64encode(secrets.token_bytes(21)).decode().rstrip("=")
        job = Job(project, job_id, request_id, sql, body)
        self.jobs[(project, job_id)] = job
        if request_id:
            self.by_request[(project, request_id)] = job
        self.statements.append(job)
        return job

    def run(self, job, scope):
        """Runs a job to its end (in its own thread)."""
        try:
            if job.delay_s > 0 and job.cancel.wait(job.delay_s):
                raise stopped()
            body = job.body
            ds = (body.get("defaultDataset") or {}).get("datasetId")
            mode = (body.get("parameterMode") or "NAMED").upper()
            types, values = param_binding(body.get("queryParameters"), mode)
            with self.db_lock:
                if job.cancel.is_set():
                    raise stopped()
                job.state = "RUNNING"
                job.started = time.time()
                job.duck = []
                kinds = []
                for duck, kind, info in translate(job.sql, ds, job.project, types, self.columns_of):
                    job.duck.append(duck)
                    kinds.append(kind)
                    if len(job.duck) == 1:
                        job.executions += 1
                        self.count(scope, "executed")
                        if job.request_id:
                            with self.lock:
                                m = self.exec_by_request.setdefault(scope, {})
                                m[job.request_id] = m.get(job.request_id, 0) + 1
                    self.execute(job, duck, kind, info, values)
                job.kind = kinds[-1] if len(kinds) == 1 else "SCRIPT"
        except BQError as e:
            job.error = e
        except duckdb.InterruptException:
            job.error = stopped()
        except duckdb.Error as e:
            job.error = engine_error(e, job.project)
        except Exception as e:  # a bug of the stand-in: say so rather than hang
            job.error = BQError(500, "internalError", "BigQuery stand-in failure: %r" % e)
        finally:
            if job.error is not None and job.error.reason == "stopped":
                self.count(scope, "cancelled")
            job.ended = time.time()
            job.state = "DONE"
            job.done.set()

    def columns_of(self, dataset, table):
        return self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() "
            "AND lower(table_schema) = lower(?) AND lower(table_name) = lower(?) ORDER BY ordinal_position",
            [dataset, table]).fetchall()

    def execute(self, job, duck, kind, info, values):
        con = self.con
        for ds in info:
            if not con.execute("SELECT count(*) FROM information_schema.schemata WHERE catalog_name = "
                               "current_database() AND schema_name = ?", [ds]).fetchone()[0]:
                raise BQError(404, "notFound", "Not found: Dataset %s:%s was not found in location %s"
                              % (job.project, ds, LOCATION))
        used = {k: v for k, v in values.items() if re.search(r"\$" + re.escape(k) + r"\b", duck)}
        if kind == "SELECT":
            rel = con.sql(duck, params=used or None)
            cols = [Col(n, t) for n, t in zip(rel.columns, rel.types)]
            if any(c.convert for c in cols):
                exprs = []
                for c in cols:
                    q = '"' + c.name.replace('"', '""') + '"'
                    if c.convert == "epoch_us":
                        exprs.append("epoch_us(%s) AS %s" % (q, q))
                    elif c.convert == "text":
                        exprs.append("CAST(%s AS VARCHAR) AS %s" % (q, q))
                    else:
                        exprs.append(q)
                rel = rel.project(", ".join(exprs))
            rows = []
            while True:
                if job.cancel.is_set():
                    raise duckdb.InterruptException("cancelled")
                chunk = rel.fetchmany(2048)
                if not chunk:
                    break
                rows.extend([c.cell(v) for c, v in zip(cols, r)] for r in chunk)
            job.cols, job.rows, job.dml = cols, rows, None
        else:
            cur = con.execute(duck, used or None)
            job.cols, job.rows = None, []
            if kind in ("INSERT", "UPDATE", "DELETE", "MERGE"):
                r = cur.fetchall()
                job.dml = int(r[0][0]) if r else 0
            else:
                job.dml = None


def engine_error(e, project):
    msg = str(e)
    m = re.search(r'Table with name "?([^"\s!]+)"? does not exist', msg)
    if m:
        return BQError(404, "notFound", "Not found: Table %s:%s was not found in location %s"
                       % (project, m.group(1), LOCATION), "DuckDB: " + msg)
    m = re.search(r'Schema with name "?([^"\s!]+)"? does not exist', msg)
    if m:
        return BQError(404, "notFound", "Not found: Dataset %s:%s was not found in location %s"
                       % (project, m.group(1), LOCATION), "DuckDB: " + msg)
    m = re.search(r'(Table|Schema|View) with name "?([^"\s!]+)"? already exists', msg)
    if m:
        what = {"Schema": "Dataset"}.get(m.group(1), m.group(1))
        return BQError(409, "duplicate", "Already Exists: %s %s:%s" % (what, project, m.group(2)), "DuckDB: " + msg)
    return invalid(msg.split("\n\nLINE")[0].strip())


def java_seconds(t):
    return "%d" % int(t * 1000)


def job_resource(job, user):
    status = {"state": job.state}
    if job.state == "DONE" and job.error is not None:
        status["errorResult"] = job.error.proto()
        status["errors"] = [job.error.proto()]
    stats = {"creationTime": java_seconds(job.created)}
    if job.started:
        stats["startTime"] = java_seconds(job.started)
    if job.ended and job.state == "DONE":
        stats["endTime"] = java_seconds(job.ended)
    q = {"totalBytesProcessed": "0", "cacheHit": False}
    if job.kind:
        q["statementType"] = job.kind
    if job.dml is not None:
        q["numDmlAffectedRows"] = str(job.dml)
    stats["query"] = q
    stats["totalBytesProcessed"] = "0"
    return {
        "kind": "bigquery#job", "etag": base64.b64encode(job.job_id.encode()[:12]).decode(),
        "id": "%s:%s.%s" % (job.project, LOCATION, job.job_id),
        "selfLink": "/bigquery/v2/projects/%s/jobs/%s?location=%s" % (job.project, job.job_id, LOCATION),
        "user_email": user,
        "configuration": {"jobType": "QUERY", "query": {"query": job.sql, "useLegacySql": False,
                                                        "priority": "INTERACTIVE"}},
        "jobReference": job.ref(), "statistics": stats, "status": status,
    }


def rule_kind(rule):
    for k in ("status", "drop_after_execute", "drop", "delay_ms", "expire_token"):
        if k in rule:
            return k
    return None


# --- HTTP ---------------------------------------------------------------------------------------------------
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "kith-bigquery-standin"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    @property
    def state(self):
        return self.server.state

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def reply(self, status, body=b"", content_type="application/json; charset=UTF-8", headers=()):
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
        self.reply(status, json.dumps(obj, ensure_ascii=False), headers=headers)

    def bq_error(self, err, headers=()):
        self.reply_json(err.code, err.body(), headers)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # --- admin -------------------------------------------------------------------------------------------
    def admin(self, method):
        url = urllib.parse.urlsplit(self.path)
        scope = (urllib.parse.parse_qs(url.query).get("scope") or [None])[0]
        body = self.read_body() if method in ("POST", "DELETE") else b""
        st = self.state
        path = url.path
        if path == "/_standin/health" and method == "GET":
            return self.reply(200, "ok\n", "text/plain")
        if path == "/_standin/stats":
            if method == "GET":
                return self.reply_json(200, st.snapshot(scope))
            if method == "DELETE":
                st.reset(scope)
                return self.reply_json(200, st.snapshot(scope))
        if path == "/_standin/statements" and method == "GET":
            with st.lock:
                jobs = [j for j in st.statements if scope is None or j.project == scope]
            out = []
            for j in jobs:
                e = {"job_id": j.job_id, "project": j.project, "request_id": j.request_id, "bigquery": j.sql,
                     "duckdb": ";\n".join(j.duck), "executions": j.executions,
                     "status": j.state if j.error is None else "ERROR"}
                if j.error is not None:
                    e["error"] = {"reason": j.error.reason, "message": j.error.message}
                out.append(e)
            return self.reply_json(200, out)
        if path == "/_standin/faults":
            if method == "DELETE":
                with st.lock:
                    st.faults = [r for r in st.faults if scope is not None and r.get("scope") != scope]
                    if scope is None:
                        st.sticky.clear()
                    else:
                        st.sticky.pop(scope, None)
                return self.reply_json(200, {"pending": st.snapshot(scope)["pending"]})
            if method == "POST":
                try:
                    rule = json.loads(body or b"{}")
                    if not isinstance(rule, dict):
                        raise ValueError("a JSON object is expected")
                    sticky = {k: rule[k] for k in ("page_rows", "token_lifetime_s") if k in rule}
                    if sticky:
                        for k, v in sticky.items():
                            if int(v) < 1:
                                raise ValueError("%s must be at least 1" % k)
                        with st.lock:
                            st.sticky.setdefault(scope, {}).update({k: int(v) for k, v in sticky.items()})
                    if rule_kind(rule) is None:
                        if not sticky:
                            raise ValueError("one of status, drop, drop_after_execute, delay_ms, expire_token, "
                                             "page_rows, token_lifetime_s is needed")
                    else:
                        rule = {k: v for k, v in rule.items() if k not in sticky}
                        rule["count"] = int(rule.get("count", 1))
                        if rule["count"] < 1:
                            raise ValueError("count must be at least 1")
                        rule["every"] = int(rule.get("every", 1))
                        if rule["every"] < 1:
                            raise ValueError("every must be at least 1")
                        if "status" in rule:
                            rule["status"] = int(rule["status"])
                        if scope is not None:
                            rule["scope"] = scope
                        with st.lock:
                            st.faults.append(rule)
                except (ValueError, TypeError) as e:
                    return self.reply_json(400, {"error": str(e)})
                snap = st.snapshot(scope)
                return self.reply_json(200, {"pending": snap["pending"], "sticky": snap["sticky"]})
        return self.reply_json(404, {"error": "no such admin route"})

    # --- OAuth token endpoint ----------------------------------------------------------------------------
    def token(self):
        url = urllib.parse.urlsplit(self.path)
        scope = (urllib.parse.parse_qs(url.query).get("scope") or [None])[0]
        body = self.read_body()
        st = self.state
        fault = st.take_fault(scope, "POST", url.path, ("status", "drop"), is_token=True)
        if fault and self.apply_fault(fault, scope):
            return
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))

        def oauth_error(error, desc, status=400):
            return self.reply_json(status, {"error": error, "error_description": desc})

        grant = (form.get("grant_type") or [""])[0]
        if grant != JWT_BEARER:
            return oauth_error("unsupported_grant_type", "Invalid grant_type: %s" % grant)
        assertion = (form.get("assertion") or [""])[0]
        if not assertion:
            return oauth_error("invalid_request", "Missing required parameter: assertion")
        key = st.key
        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return oauth_error("invalid_grant", "Invalid JWT Signature.")
        if header.get("alg") != "RS256" or header.get("kid") != key["private_key_id"]:
            return oauth_error("invalid_grant", "Invalid JWT Signature.")
        try:
            claims = jwt.decode(assertion, st.public_key, algorithms=["RS256"],
                                options={"verify_exp": False, "verify_iat": False, "verify_aud": False,
                                         "verify_nbf": False, "require": ["iss", "aud", "iat", "exp"]})
        except jwt.MissingRequiredClaimError as e:
            return oauth_error("invalid_grant", "Invalid JWT: %s" % e)
        except jwt.PyJWTError:
            return oauth_error("invalid_grant", "Invalid JWT Signature.")
        if claims.get("iss") != key["client_email"]:
            return oauth_error("invalid_grant", "Invalid grant: account not found")
        base_uri = key["token_uri"]
        here = "http://%s:%d%s" % (self.server.server_address[0], self.server.server_address[1], self.path)
        if claims.get("aud") not in (base_uri, here):
            return oauth_error("invalid_grant", "Invalid JWT: Failed audience check. The expected audience is %s."
                               % base_uri)
        now = time.time()
        try:
            iat, exp_ = float(claims["iat"]), float(claims["exp"])
        except (TypeError, ValueError):
            return oauth_error("invalid_grant", BAD_TIMES)
        if iat > now + 60 or exp_ <= now or exp_ - iat > 3600 or exp_ < iat:
            return oauth_error("invalid_grant", BAD_TIMES)
        scopes = str(claims.get("scope") or "").split()
        if not any(s in SCOPES_OK for s in scopes):
            return oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        lifetime = st.sticky_value(scope, "token_lifetime_s") or 3600
        token = "ya29.standin." + secrets.token_urlsafe(32)
        with st.lock:
            st.tokens[token] = now + lifetime
        st.count(scope, "tokens_issued")
        return self.reply_json(200, {"access_token": token, "expires_in": int(lifetime) - 1,
                                     "token_type": "Bearer"})

    # --- API ---------------------------------------------------------------------------------------------
    def authenticate(self, scope, method, path):
        st = self.state
        auth = self.headers.get("Authorization") or ""
        scheme, _, token = auth.strip().partition(" ")
        token = token.strip()
        ok = False
        if scheme.lower() == "bearer" and token:
            if secrets.compare_digest(token.encode(), st.access_token.encode()):
                ok = True
            else:
                with st.lock:
                    exp_ = st.tokens.get(token)
                ok = exp_ is not None and exp_ > time.time()
        if ok:
            fault = st.take_fault(scope, method, path, ("expire_token",))
            if fault:
                st.count(scope, "faulted")
                with st.lock:
                    if token in st.tokens:
                        st.tokens[token] = 0
                ok = False
        if not ok:
            st.count(scope, "unauthorized")
            err = BQError(401, "authError", UNAUTH_MESSAGE, location="Authorization", location_type="header")
            body = err.body()
            body["error"]["errors"][0]["message"] = "Invalid Credentials"
            self.reply_json(401, body, headers=[
                ("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/", error="invalid_token"')])
            return False
        return True

    def apply_fault(self, fault, scope):
        """Answers (or drops) as the rule says; True when the request is finished with."""
        st = self.state
        if fault.get("drop"):
            st.count(scope, "faulted")
            self.drop()
            return True
        if "status" in fault:
            st.count(scope, "faulted")
            status = fault["status"]
            reason = fault.get("reason") or {429: "rateLimitExceeded", 403: "rateLimitExceeded"}.get(
                status, "backendError")
            domain, message = FAULT_MESSAGES.get(reason, ("global", "Injected failure."))
            message = fault.get("message", message)
            headers = []
            if "retry_after" in fault:
                headers.append(("Retry-After", str(fault["retry_after"])))
            err = {"error": {"code": status, "message": message,
                             "errors": [{"message": message, "domain": domain, "reason": reason}],
                             "status": STATUS_TEXT.get(status, "UNKNOWN")}}
            self.reply_json(status, err, headers)
            return True
        return False

    def api(self, method):
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        m = API.match(url.path)
        if not m:
            return self.bq_error(BQError(404, "notFound", "Not found: %s %s" % (method, url.path), location=None))
        project, coll, ident, action = m.groups()
        project = urllib.parse.unquote(project)
        st = self.state
        if not self.authenticate(project, method, url.path):
            return
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        is_query = coll == "queries" and ident is None and method == "POST"
        if is_query:
            st.count(project, "queries")
        fault = st.take_fault(project, method, url.path, ("status", "drop", "drop_after_execute", "delay_ms"),
                              is_query=is_query)
        if fault and self.apply_fault(fault, project):
            return
        try:
            if is_query:
                return self.jobs_query(project, body, fault)
            if coll == "queries" and ident and method == "GET" and not action:
                return self.get_query_results(project, ident, q)
            if coll == "jobs" and ident and method == "GET" and not action:
                job = self.find_job(project, ident, q)
                return self.reply_json(200, job_resource(job, st.key["client_email"]))
            if coll == "jobs" and ident and action == "cancel" and method == "POST":
                job = self.find_job(project, ident, q)
                job.cancel.set()
                if job.state == "RUNNING":
                    st.con.interrupt()
                job.done.wait(2.0)
                return self.reply_json(200, {"kind": "bigquery#jobCancelResponse",
                                             "job": job_resource(job, st.key["client_email"])})
            raise BQError(404, "notFound", "Not found: %s %s" % (method, url.path), location=None)
        except BQError as e:
            return self.bq_error(e)

    def find_job(self, project, job_id, q):
        loc = q.get("location")
        with self.state.lock:
            job = self.state.jobs.get((project, job_id))
        if job is None or (loc and loc.upper() != LOCATION):
            raise BQError(404, "notFound", "Not found: Job %s:%s" % (project, job_id), location=None)
        return job

    def jobs_query(self, project, body, fault):
        st = self.state
        try:
            req = json.loads(body or b"{}")
            if not isinstance(req, dict):
                raise ValueError
        except ValueError:
            raise BQError(400, "parseError", "Parse error: the request body is not a JSON object", location=None)
        sql = req.get("query")
        if not isinstance(sql, str) or not sql.strip():
            raise BQError(400, "invalid", "Required parameter is missing: query", location=None)
        if req.get("useLegacySql", True) is not False:
            raise invalid("The BigQuery stand-in runs GoogleSQL only: set \"useLegacySql\": false "
                          "(jobs.query defaults to legacy SQL)")
        if req.get("dryRun"):
            raise BQError(400, "invalid", "dryRun is not supported by the BigQuery stand-in", location=None)
        loc = req.get("location")
        if loc and loc.upper() != LOCATION:
            ds = (req.get("defaultDataset") or {}).get("datasetId") or "kith"
            raise BQError(404, "notFound", "Not found: Dataset %s:%s was not found in location %s"
                          % (project, ds, loc))
        request_id = req.get("requestId")
        start = False
        with st.lock:
            job = st.by_request.get((project, request_id)) if request_id else None
            if job is None:
                job = st.new_job(project, request_id, sql, req)
                start = True
        if start:
            if fault and "delay_ms" in fault:
                job.delay_s = float(fault["delay_ms"]) / 1000.0
                if "wait_ms" in fault:
                    job.wait_cap_s = float(fault["wait_ms"]) / 1000.0
            threading.Thread(target=st.run, args=(job, project), daemon=True).start()
        if fault and fault.get("drop_after_execute"):
            job.done.wait()
            st.count(project, "faulted")
            return self.drop()
        job.wait(_ms(req.get("timeoutMs"), 10000))
        int64 = bool((req.get("formatOptions") or {}).get("useInt64Timestamp"))
        max_results = req.get("maxResults")
        return self.results(job, "bigquery#queryResponse", 0, max_results, int64)

    def get_query_results(self, project, job_id, q):
        job = self.find_job(project, job_id, q)
        job.wait(_ms(q.get("timeoutMs"), 10000))
        start = 0
        if q.get("pageToken"):
            self.state.count(project, "pages")
            try:
                jid, _, off = base64.urlsafe_b64decode(q["pageToken"] + "==").decode().partition(":")
                if jid != job.job_id:
                    raise ValueError
                start = int(off)
            except ValueError:
                raise BQError(400, "invalid", "Invalid page token", location=None)
        elif q.get("startIndex"):
            start = int(q["startIndex"])
        int64 = q.get("formatOptions.useInt64Timestamp", "").lower() == "true"
        return self.results(job, "bigquery#getQueryResultsResponse", start, q.get("maxResults"), int64)

    def results(self, job, kind, start, max_results, int64):
        if not job.done.is_set():
            self.state.count(job.project, "incomplete")
            return self.reply_json(200, {"kind": kind, "jobReference": job.ref(), "jobComplete": False})
        if job.error is not None:
            return self.bq_error(job.error)
        out = {"kind": kind, "jobReference": job.ref(), "jobComplete": True, "cacheHit": False,
               "totalBytesProcessed": "0"}
        if kind == "bigquery#getQueryResultsResponse":
            out["etag"] = base64.b64encode(job.job_id.encode()[-12:]).decode()
        if job.cols is not None:
            out["schema"] = {"fields": [c.schema() for c in job.cols]}
            total = len(job.rows)
            out["totalRows"] = str(total)
            size = DEFAULT_PAGE_ROWS
            sticky = self.state.sticky_value(job.project, "page_rows")
            if sticky:
                size = min(size, sticky)
            if max_results is not None:
                size = min(size, max(0, int(max_results)))
            page = job.rows[start:start + size]
            if page:
                out["rows"] = [{"f": [{"v": render(v, int64)} for v in r]} for r in page]
            if start + len(page) < total:
                out["pageToken"] = base64.urlsafe_b64encode(
                    ("%s:%d" % (job.job_id, start + len(page))).encode()).decode().rstrip("=")
        else:
            out["totalRows"] = "0"
        if job.dml is not None:
            out["numDmlAffectedRows"] = str(job.dml)
            key = {"INSERT": "insertedRowCount", "UPDATE": "updatedRowCount",
                   "DELETE": "deletedRowCount"}.get(job.kind)
            if key:
                out["dmlStats"] = {key: str(job.dml)}
        return self.reply_json(200, out)

    # --- dispatch ----------------------------------------------------------------------------------------
    def dispatch(self, method):
        if self.path.startswith("/_standin/"):
            return self.admin(method)
        if urllib.parse.urlsplit(self.path).path == "/token" and method == "POST":
            return self.token()
        return self.api(method)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_DELETE(self):
        self.dispatch("DELETE")


def _ms(v, default):
    try:
        return max(0.0, float(v) / 1000.0) if v is not None else default / 1000.0
    except (TypeError, ValueError):
        return default / 1000.0


def make_key(path, project, port):
    priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = priv.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
    email = "kith@%s.iam.gserviceaccount.com" % project
    key = {
        "type": "service_account",
        "project_id": project,
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": str(secrets.randbelow(9 * 10 ** 20) + 10 ** 20),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "http://127.0.0.1:%d/token" % port,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + urllib.parse.quote(email),
        "universe_domain": "googleapis.com",
    }
    write_private(path, json.dumps(key, indent=2) + "\n")
    return key


def write_private(path, text):
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    ap.add_argument("--port-file", help="write the port listened on here once ready")
    ap.add_argument("--db", required=True, help="the DuckDB database file")
    ap.add_argument("--key-file", required=True, help="the service-account key JSON (written at --fresh)")
    ap.add_argument("--access-token-file", required=True, help="the plain access token (written at --fresh)")
    ap.add_argument("--project", default="standin-project")
    ap.add_argument("--fresh", action="store_true", help="cold start: wipe the database, new key and token")
    args = ap.parse_args()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.fresh:
        for suffix in ("", ".wal"):
            try:
                os.remove(args.db + suffix)
            except FileNotFoundError:
                pass
        key = make_key(args.key_file, args.project, port)
        write_private(args.access_token_file, "ya29.standin-plain." + secrets.token_urlsafe(32) + "\n")
    else:
        with open(args.key_file) as f:
            key = json.load(f)
    with open(args.access_token_file) as f:
        access_token = f.read().strip()
    state = State(args.db, args.project, key, access_token)
    if args.fresh:
        state.con.execute('CREATE SCHEMA IF NOT EXISTS "kith"')
    server.state = state
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    sys.stderr.write("bigquery stand-in on 127.0.0.1:%d (DuckDB %s, sqlglot %s), database %s\n"
                     % (port, duckdb.__version__, sqlglot.__version__, args.db))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
