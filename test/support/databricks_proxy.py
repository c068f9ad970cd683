#!/usr/bin/env python3
"""The Databricks SQL warehouse stand-in's front door (started by scripts/standin.sh start databricks).

It listens on 127.0.0.1 and answers like a Databricks SQL warehouse's HiveServer2-over-HTTP endpoint:

  POST /sql/1.0/warehouses/<ID>     a Thrift request (application/x-thrift), forwarded to a real Spark Thrift
                                    server in HTTP transport mode (--spark http://127.0.0.1:PORT/cliservice)
                                    once the caller's personal access token checks out.

Authentication, as Databricks does it for a personal access token (PAT):
  - `Authorization: Bearer <PAT>`, or `Authorization: Basic base64("token:<PAT>")` (the JDBC/ODBC drivers' form,
    user name `token`, password the PAT).
  - No credential: HTTP 401, JSON body {"error_code": 401, "message": "Credential was not sent or was of an
    unsupported type for this API."} and the same text in the `X-Databricks-Reason-Phrase` header.
  - A wrong token: HTTP 403 (not 401), JSON body {"error_code": 403, "message": "Invalid access token."} and
    `X-Databricks-Reason-Phrase: Invalid access token.`
  What this is based on: databricks/databricks-sql-python issue #346 (a thrift request with a bad token gets
  response.status 403) and #372/#407 (the connector retried those until it learned to stop); the "Error 403
  Invalid access token." reports of Databricks' API (e.g. DataThirstLtd/databricks.vsts.tools issue #26); the
  official drivers reading the failure's text from the `X-Databricks-Reason-Phrase` header, else
  `X-Thriftserver-Error-Message` (databricks-sql-go's retry errorHandler, databricks-sql-nodejs's
  extractErrorFromHeaders); and Databricks' REST error bodies {"error_code", "message"}, where a missing
  credential reads "Credential was not sent or was of an unsupported type for this API." with status 401.
  Good requests are forwarded with `Authorization: Basic base64("token:standin")`: Spark's HTTP mode with
  authentication NONE wants a Basic header and takes its user name from it.

Admin routes for tests (no authentication; 127.0.0.1 only). Faults and counters may be scoped to one warehouse
ID (`?warehouse=ID`): test processes running in parallel against the same proxy then each use an ID of their
own (http_path=/sql/1.0/warehouses/<their ID>) and do not see each other's faults or requests. A rule posted
without a warehouse applies to requests for any; counters read without one add up every warehouse.
  POST   /_standin/faults[?warehouse=ID]
                            JSON, one rule; rules queue up and each proxied request (after the token check)
                            uses up one count of the first rule that applies to its warehouse:
                              {"status": 503, "count": 2}                  answer 503 (Databricks-like JSON body)
                              {"status": 429, "retry_after": 1, "count": 1} answer 429 with `Retry-After: 1`
                              {"drop": 1, "count": 1}                      close the connection without answering
                              {"reset": 1}                                 reset the connection (TCP RST), no answer
                              {"delay_ms": 1500, "count": 1}               wait, then forward as usual
                            "count" defaults to 1; "body" (text) replaces the error body; "message" its message.
                            "call": "ExecuteStatement" (a TCLIService method) narrows a rule to the requests
                            carrying that Thrift call; "every": K spreads it out: of the requests it applies
                            to, only every K-th gets it, the others pass (so that count faults land on calls
                            far apart, e.g. all through a run).
                            Answers {"pending": [rules...]}.
  DELETE /_standin/faults[?warehouse=ID]   forgets the pending rules (of that warehouse, else all).
  GET    /_standin/stats[?warehouse=ID]
                            {"forwarded": N, "faulted": N, "unauthorized": N, "forbidden": N, "pending": [...],
                             "calls": {"ExecuteStatement": N, ...}}
                            (forwarded counts requests that reached Spark, delayed ones included; calls counts
                            them by Thrift call).
  DELETE /_standin/stats[?warehouse=ID]    sets those counters to 0.
  GET    /_standin/health   200 "ok".
"""
import argparse
import base64
import hmac
import http.client
import http.server
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse

WAREHOUSE_PATH = re.compile(r"^/sql/1\.0/warehouses/([A-Za-z0-9_-]+)/?$")
NO_CREDENTIAL = "Credential was not sent or was of an unsupported type for this API."
BAD_TOKEN = "Invalid access token."
FAULT_MESSAGES = {
    429: ("TOO_MANY_REQUESTS", "Too many requests. Please wait a moment and try again."),
    500: ("INTERNAL_ERROR", "Internal error."),
    502: ("TEMPORARILY_UNAVAILABLE", "Bad gateway."),
    503: ("TEMPORARILY_UNAVAILABLE", "The service is temporarily unavailable. Please try again later."),
    504: ("TEMPORARILY_UNAVAILABLE", "Gateway timeout."),
}


COUNTERS = ("forwarded", "faulted", "unauthorized", "forbidden")


class State:
    def __init__(self, token, spark_host, spark_port, spark_path):
        self.token = token
        self.spark_host, self.spark_port, self.spark_path = spark_host, spark_port, spark_path
        self.lock = threading.Lock()
        self.faults = []  # rules (dicts), each with a remaining "count" and maybe a "warehouse"
        self.stats = {}   # warehouse ID -> {counter: N}
        self.calls = {}   # warehouse ID -> {Thrift call: requests forwarded}

    def take_fault(self, warehouse, call):
        """The first pending rule that applies to a request, counted down (a rule with "every" takes its turn
        only on every K-th request it matches)."""
        with self.lock:
            for i, rule in enumerate(self.faults):
                if rule.get("warehouse") in (None, warehouse) and rule.get("call") in (None, call):
                    rule["seen"] = rule.get("seen", 0) + 1
                    if rule["seen"] % rule.get("every", 1) != 0:
                        continue
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self.faults.pop(i)
                    return dict(rule)
            return None

    def count(self, warehouse, what):
        with self.lock:
            counters = self.stats.setdefault(warehouse, dict.fromkeys(COUNTERS, 0))
            counters[what] += 1

    def count_call(self, warehouse, call):
        with self.lock:
            calls = self.calls.setdefault(warehouse, {})
            calls[call] = calls.get(call, 0) + 1

    def snapshot(self, warehouse=None):
        with self.lock:
            total = dict.fromkeys(COUNTERS, 0)
            for wh, counters in self.stats.items():
                if warehouse is None or wh == warehouse:
                    for k in COUNTERS:
                        total[k] += counters[k]
            calls = {}
            for wh, by_call in self.calls.items():
                if warehouse is None or wh == warehouse:
                    for call, n in by_call.items():
                        calls[call] = calls.get(call, 0) + n
            pending = [dict(r) for r in self.faults if warehouse is None or r.get("warehouse") in (None, warehouse)]
            return dict(total, pending=pending, calls=calls)

    def reset(self, warehouse=None):
        with self.lock:
            if warehouse is None:
                self.stats.clear()
                self.calls.clear()
            else:
                self.stats.pop(warehouse, None)
                self.calls.pop(warehouse, None)

    def clear_faults(self, warehouse=None):
        with self.lock:
            self.faults = [r for r in self.faults if warehouse is not None and r.get("warehouse") != warehouse]


def thrift_call(body):
    """The method name of a Thrift message in the binary protocol (strict: version 0x8001, type, name; or the
    old form: name, type), or "" when the body is not one."""
    try:
        if len(body) >= 8 and body[0] == 0x80 and body[1] == 0x01:
            size = struct.unpack(">i", body[4:8])[0]
            return body[8:8 + size].decode("ascii") if 0 < size <= len(body) - 8 else ""
        size = struct.unpack(">i", body[0:4])[0] if len(body) >= 4 else 0
        return body[4:4 + size].decode("ascii") if 0 < size <= len(body) - 4 else ""
    except (UnicodeDecodeError, struct.error):
        return ""


def token_of(header):
    """The PAT in an Authorization header, or None when it carries none of the accepted forms."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            user, _, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except Exception:
            return None
        if user == "token" and password:
            return password
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def version_string(self):
        return "kith-databricks-standin"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    @property
    def state(self):
        return self.server.state

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

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
        self.reply(status, json.dumps(obj), "application/json", headers)

    def databricks_error(self, status, error_code, message):
        self.reply_json(status, {"error_code": error_code, "message": message},
                        headers=[("X-Databricks-Reason-Phrase", message)])

    # --- admin -----------------------------------------------------------------------------------------------
    def admin(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        warehouse = (urllib.parse.parse_qs(url.query).get("warehouse") or [None])[0]
        body = self.read_body() if method in ("POST", "DELETE") else b""
        st = self.state
        if path == "/_standin/health" and method == "GET":
            return self.reply(200, "ok\n", "text/plain")
        if path == "/_standin/stats":
            if method == "GET":
                return self.reply_json(200, st.snapshot(warehouse))
            if method == "DELETE":
                st.reset(warehouse)
                return self.reply_json(200, st.snapshot(warehouse))
        if path == "/_standin/faults":
            if method == "DELETE":
                st.clear_faults(warehouse)
                return self.reply_json(200, {"pending": st.snapshot(warehouse)["pending"]})
            if method == "POST":
                try:
                    rule = json.loads(body or b"{}")
                    if not isinstance(rule, dict):
                        raise ValueError("a JSON object is expected")
                    rule["count"] = int(rule.get("count", 1))
                    if rule["count"] < 1:
                        raise ValueError("count must be at least 1")
                    rule["every"] = int(rule.get("every", 1))
                    if rule["every"] < 1:
                        raise ValueError("every must be at least 1")
                    if not any(k in rule for k in ("status", "drop", "reset", "delay_ms")):
                        raise ValueError("one of status, drop, reset, delay_ms is needed")
                    if "status" in rule:
                        rule["status"] = int(rule["status"])
                    if warehouse is not None:
                        rule["warehouse"] = warehouse
                except (ValueError, TypeError) as e:
                    return self.reply_json(400, {"error": str(e)})
                with st.lock:
                    st.faults.append(rule)
                return self.reply_json(200, {"pending": st.snapshot(warehouse)["pending"]})
        return self.reply_json(404, {"error": "no such admin route"})

    # --- the warehouse ---------------------------------------------------------------------------------------
    def do_GET(self):
        if self.path.startswith("/_standin/"):
            return self.admin("GET")
        self.read_body()
        self.databricks_error(404, "ENDPOINT_NOT_FOUND", "No API found for 'GET %s'" % self.path)

    def do_DELETE(self):
        if self.path.startswith("/_standin/"):
            return self.admin("DELETE")
        self.read_body()
        self.databricks_error(404, "ENDPOINT_NOT_FOUND", "No API found for 'DELETE %s'" % self.path)

    def do_POST(self):
        if self.path.startswith("/_standin/"):
            return self.admin("POST")
        body = self.read_body()
        path = urllib.parse.urlsplit(self.path).path
        m = WAREHOUSE_PATH.match(path)
        if not m:
            return self.databricks_error(404, "ENDPOINT_NOT_FOUND", "No API found for 'POST %s'" % path)
        warehouse = m.group(1)
        auth = self.headers.get_all("Authorization") or []
        tokens = [t for t in (token_of(h) for h in auth) if t is not None]
        if not tokens:
            self.state.count(warehouse, "unauthorized")
            return self.databricks_error(401, 401, NO_CREDENTIAL)
        if not any(hmac.compare_digest(t.encode(), self.state.token.encode()) for t in tokens):
            self.state.count(warehouse, "forbidden")
            return self.databricks_error(403, 403, BAD_TOKEN)

        call = thrift_call(body)
        fault = self.state.take_fault(warehouse, call)
        if fault:
            if fault.get("reset"):
                self.state.count(warehouse, "faulted")
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            if fault.get("drop"):
                self.state.count(warehouse, "faulted")
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if "status" in fault:
                self.state.count(warehouse, "faulted")
                status = fault["status"]
                code, message = FAULT_MESSAGES.get(status, ("INTERNAL_ERROR", "Injected failure."))
                message = fault.get("message", message)
                headers = [("X-Databricks-Reason-Phrase", message)]
                if "retry_after" in fault:
                    headers.append(("Retry-After", str(fault["retry_after"])))
                if "body" in fault:
                    return self.reply(status, fault["body"], "text/plain", headers)
                return self.reply_json(status, {"error_code": code, "message": message}, headers)
            if "delay_ms" in fault:
                time.sleep(float(fault["delay_ms"]) / 1000.0)
        self.forward(body, warehouse, call)

    def forward(self, body, warehouse, call):
        st = self.state
        conn = http.client.HTTPConnection(st.spark_host, st.spark_port, timeout=3600)
        try:
            conn.request("POST", st.spark_path, body=body, headers={
                "Content-Type": self.headers.get("Content-Type", "application/x-thrift"),
                "Accept": self.headers.get("Accept", "application/x-thrift"),
                "Authorization": "Basic " + base64.b64encode(b"token:standin").decode(),
            })
            resp = conn.getresponse()
            data = resp.read()
        except OSError as e:
            # Spark's endpoint is down: answer as a gateway whose warehouse is unreachable.
            self.log_message("spark unreachable: %s", e)
            return self.databricks_error(503, "TEMPORARILY_UNAVAILABLE", "The SQL warehouse is unreachable: %s" % e)
        finally:
            conn.close()
        st.count(warehouse, "forwarded")
        st.count_call(warehouse, call)
        headers = [(k, v) for k, v in resp.getheaders()
                   if k.lower() in ("x-thriftserver-error-message", "retry-after")]
        self.reply(resp.status, data, resp.getheader("Content-Type", "application/x-thrift"), headers)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    ap.add_argument("--port-file", help="write the port listened on here once listening")
    ap.add_argument("--token-file", required=True, help="file holding the personal access token to accept")
    ap.add_argument("--spark", required=True, help="Spark's HTTP endpoint, http://127.0.0.1:PORT/cliservice")
    args = ap.parse_args()
    with open(args.token_file) as f:
        token = f.read().strip()
    spark = urllib.parse.urlsplit(args.spark)
    state = State(token, spark.hostname, spark.port, spark.path or "/cliservice")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = state
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    sys.stderr.write("databricks proxy on 127.0.0.1:%d -> %s\n" % (port, args.spark))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
