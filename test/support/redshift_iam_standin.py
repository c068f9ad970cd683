#!/usr/bin/env python3
"""The Redshift stand-in's IAM endpoint: Redshift's GetClusterCredentials, answered with real temporary logins.

Started with the stand-in's PostgreSQL server by `scripts/standin.sh start redshift` (scripts/standin/redshift.sh),
with .venv's python (botocore from scripts/requirements.lock). It listens on 127.0.0.1 and answers the one call of
Redshift's API (the Query protocol, version 2012-12-01) that an IAM login needs, as AWS documents it (the Redshift
API reference, GetClusterCredentials; botocore's model of it, data/redshift/2012-12-01/service-2.json):

  POST /    Content-Type: application/x-www-form-urlencoded, body
            Action=GetClusterCredentials&Version=2012-12-01&ClusterIdentifier=ID&DbUser=U[&DbName=D]
            [&DurationSeconds=N][&AutoCreate=false]
      200 text/xml:
        <GetClusterCredentialsResponse xmlns="http://redshift.amazonaws.com/doc/2012-12-01/">
          <GetClusterCredentialsResult>
            <DbUser>IAM:U</DbUser>
            <Expiration>2026-01-02T03:04:05.678Z</Expiration>
            <DbPassword>...</DbPassword>
          </GetClusterCredentialsResult>
          <ResponseMetadata><RequestId>UUID</RequestId></ResponseMetadata>
        </GetClusterCredentialsResponse>
      Failures are AWS's XML error answer, with the same RequestId in the x-amzn-RequestId header:
        <ErrorResponse xmlns="..."><Error><Type>Sender</Type><Code>C</Code><Message>M</Message></Error>
        <RequestId>UUID</RequestId></ErrorResponse>
  At start the server checks that botocore's own parser (QueryParser with Redshift's model) reads both forms.

Authentication: each request's AWS Signature Version 4 is verified with botocore's signer (botocore.auth.SigV4Auth
over the request's own SignedHeaders, its X-Amz-Date as the time), as AWS checks it:
  - no Authorization header: 403 MissingAuthenticationToken; one that is not AWS4-HMAC-SHA256 with Credential,
    SignedHeaders and Signature, or a request without X-Amz-Date or without host among the signed headers: 400
    IncompleteSignature;
  - an access key id other than --access-key-id's, or an X-Amz-Security-Token other than --session-token's
    (missing included: the key is a temporary one): 403 InvalidClientTokenId "The security token included in the
    request is invalid.";
  - a credential scope of another date than X-Amz-Date's, another region than --region or another service than
    redshift, and X-Amz-Date more than 15 minutes before or after the server's clock: 403 SignatureDoesNotMatch
    with AWS's texts ("Signature expired: ... is now earlier than ... (... - 15 min.)" and so on);
  - a wrong signature: 403 SignatureDoesNotMatch "The request signature we calculated does not match the signature
    you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for
    details." followed, as some AWS services answer, by a blank line and the canonical request and string to sign
    the server expected (they hold the session token: a client must not show them).
Then: Action other than GetClusterCredentials: 400 InvalidAction; Version other than 2012-12-01: 400
NoSuchVersion; no ClusterIdentifier or DbUser: 400 MissingParameter; a cluster other than --cluster-id or
--cluster-id-SUFFIX (every such name is a cluster of this stand-in, so that tests can each use one of their own):
404 ClusterNotFound "Cluster ID not found."; a DbUser against GetClusterCredentials' rules, AutoCreate=true (not
supported here) or DurationSeconds outside [900, 3600]: 400 InvalidParameterValue. The minimum 900 is AWS's; the
stand-in-only setting min_duration_seconds (below) lowers it for a cluster, so that tests can see credentials expire.

Credentials: the login is a real PostgreSQL role "IAM:<DbUser>" (made with psql over the server's Unix socket as
the superuser), LOGIN, member of DbUser (so it has its privileges) and with `role` set to DbUser at login (so what
it creates belongs to DbUser: session_user is IAM:<DbUser>, current_user DbUser, as Redshift maps an IAM login
onto the existing user), its password stored as a SCRAM-SHA-256 verifier computed here and VALID UNTIL now +
DurationSeconds. PostgreSQL gives a role one password: while the role's password is still valid, a new request
gets the same password (its validity set to now + DurationSeconds again); once it has expired, a new random one.
A DbUser that does not exist gets an answer but no role, so the login fails, as AWS documents for AutoCreate=false.

Admin routes for tests (no authentication; 127.0.0.1 only), scoped by `?scope=ID`, ID being a ClusterIdentifier
(in lower case); a rule posted without a scope applies to any cluster, counters read without one add up all:
  POST   /_standin/faults[?scope=ID]   JSON, one rule; rules queue up and each signed, valid request uses up one
         count of the first rule that applies ("count" defaults to 1):
           {"status": 503}                        503 ServiceUnavailable "Service Unavailable" (500:
                                                  InternalFailure); "code" and "message" replace them
           {"status": 400, "code": "Throttling"}  400 Throttling "Rate exceeded" (AWS's throttling answer)
           {"status": 429, "retry_after": 1}      with a Retry-After header
           {"drop": 1}                            close the connection without answering
           {"min_duration_seconds": 1}            sticky, not counted down: the cluster's minimum DurationSeconds
         answers {"pending": [...], "sticky": {...}}.
  DELETE /_standin/faults[?scope=ID]   forgets the pending rules and sticky settings (of that cluster, else all).
  GET    /_standin/stats[?scope=ID]    {"requests", "credentials_issued", "signature_failures", "auth_failures",
         "refused", "faulted", "pending", "sticky"}: requests that reached the server; credentials answered;
         wrong signatures (SignatureDoesNotMatch for the signature itself); every other authentication failure;
         other 4xx answers; faults answered.
  DELETE /_standin/stats[?scope=ID]    counters back to 0.
  GET    /_standin/health              200 "ok".
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

from botocore import loaders, model, parsers
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

NS = "http://redshift.amazonaws.com/doc/2012-12-01/"
MAX_SKEW = datetime.timedelta(minutes=15)
AWS_MIN_DURATION, AWS_MAX_DURATION = 900, 3600
AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/([^/,\s]+)/aws4_request,\s*"
                     r"SignedHeaders=([a-z0-9;_-]+),\s*Signature=([0-9a-f]{64})$")
DB_USER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_+.@-]{0,63}$")
COUNTERS = ("requests", "credentials_issued", "signature_failures", "auth_failures", "refused", "faulted")
BAD_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = ("The request signature we calculated does not match the signature you provided. Check your AWS "
                 "Secret Access Key and signing method. Consult the service documentation for details.")
FAULT_TEXT = {400: ("Throttling", "Rate exceeded"), 429: ("Throttling", "Rate exceeded"),
              500: ("InternalFailure", "The request processing has failed because of an unknown error, exception "
                                       "or failure."),
              503: ("ServiceUnavailable", "Service Unavailable")}


class Refused(Exception):
    """An AWS error answer."""

    def __init__(self, status, code, message, counter="refused", sender=True):
        super().__init__(message)
        self.status, self.code, self.message, self.counter = status, code, message, counter
        self.type = "Sender" if sender else "Receiver"


def amz_time(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


def error_xml(code, message, type_, request_id):
    return ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n'
            '    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
            % (NS, type_, escape(code), escape(message), request_id))


def credentials_xml(db_user, password, expiration, request_id):
    when = expiration.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (expiration.microsecond // 1000)
    return ('<GetClusterCredentialsResponse xmlns="%s">\n  <GetClusterCredentialsResult>\n'
            '    <DbUser>%s</DbUser>\n    <Expiration>%s</Expiration>\n    <DbPassword>%s</DbPassword>\n'
            '  </GetClusterCredentialsResult>\n  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n'
            '  </ResponseMetadata>\n</GetClusterCredentialsResponse>\n'
            % (NS, escape(db_user), when, escape(password), request_id))


def check_with_botocore():
    """botocore's Query parser, with Redshift's model, reads this server's answers as an SDK would."""
    service = model.ServiceModel(loaders.Loader().load_service_model("redshift", "service-2"), "redshift")
    shape = service.operation_model("GetClusterCredentials").output_shape
    when = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
    parser = parsers.QueryParser()
    ok = parser.parse({"body": credentials_xml("IAM:u", "p<w>", when, "r").encode(), "headers": {},
                       "status_code": 200}, shape)
    assert (ok["DbUser"], ok["DbPassword"], ok["Expiration"]) == ("IAM:u", "p<w>", when), ok
    err = parser.parse({"body": error_xml("Throttling", "Rate exceeded", "Sender", "r").encode(), "headers": {},
                        "status_code": 400}, shape)
    assert err["Error"]["Code"] == "Throttling" and err["Error"]["Message"] == "Rate exceeded", err


def scram_verifier(password, iterations=4096):
    """PostgreSQL's SCRAM-SHA-256 verifier of an ASCII password (RFC 5802, 7677), so the password never reaches the
    server in clear."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored = hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()
    server = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b64(salt), b64(stored), b64(server))


class Logins:
    """The temporary roles in PostgreSQL, through psql as the superuser over the Unix socket."""

    def __init__(self, psql, socket_dir, port):
        self.psql = [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", socket_dir, "-p", str(port),
                     "-U", "postgres", "-d", "postgres"]
        self.lock = threading.Lock()
        self.passwords = {}  # role -> password while valid

    def run(self, sql, **variables):
        args = list(self.psql)
        for name, value in variables.items():
            args += ["-v", "%s=%s" % (name, value)]
        done = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError("psql: " + done.stderr.strip())
        return done.stdout.strip()

    def issue(self, db_user, duration):
        """The role's password and its expiry, made or renewed in PostgreSQL."""
        role = "IAM:" + db_user
        with self.lock:
            state = self.run("SELECT (SELECT count(*) FROM pg_roles WHERE rolname = :'u') || ',' || "
                             "(SELECT count(*) FROM pg_roles WHERE rolname = :'r' AND rolvaliduntil > now())",
                             u=db_user, r=role)
            user_exists, role_valid = (s == "1" for s in state.split(","))
            expiration = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=duration)
            if not user_exists:
                return role, secrets.token_urlsafe(32), expiration
            password = self.passwords.get(role) if role_valid else None
            password = password or secrets.token_urlsafe(32)
            self.run("SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'r') AS missing \\gset\n"
                     "\\if :missing\n"
                     "CREATE ROLE :\"r\" LOGIN IN ROLE :\"u\";\n"
                     "ALTER ROLE :\"r\" SET role = :'u';\n"
                     "\\endif\n"
                     "ALTER ROLE :\"r\" LOGIN PASSWORD :'v' VALID UNTIL :'t';\n",
                     u=db_user, r=role, v=scram_verifier(password), t=expiration.isoformat())
            self.passwords[role] = password
            return role, password, expiration


class State:
    def __init__(self, args, logins):
        self.lock = threading.Lock()
        self.access_key_id = args.access_key_id
        self.secret = read_secret(args.secret_file)
        self.session_token = read_secret(args.session_token_file)
        self.cluster_id = args.cluster_id
        self.region = args.region
        self.logins = logins
        self.faults = []
        self.sticky = {}
        self.stats = {}

    def count(self, scope, what):
        with self.lock:
            self.stats.setdefault(scope, dict.fromkeys(COUNTERS, 0))[what] += 1

    def snapshot(self, scope=None):
        with self.lock:
            total = dict.fromkeys(COUNTERS, 0)
            for sc, c in self.stats.items():
                if scope is None or sc == scope:
                    for k in COUNTERS:
                        total[k] += c[k]
            total["pending"] = [dict(r) for r in self.faults if scope is None or r.get("scope") in (None, scope)]
            total["sticky"] = {k or "": v for k, v in self.sticky.items() if scope is None or k in (None, scope)}
            return total

    def take_fault(self, scope):
        with self.lock:
            for i, rule in enumerate(self.faults):
                if rule.get("scope") in (None, scope):
                    rule["count"] -= 1
                    if rule["count"] <= 0:
                        self.faults.pop(i)
                    return dict(rule)
        return None

    def min_duration(self, scope):
        with self.lock:
            for sc in (scope, None):
                if "min_duration_seconds" in self.sticky.get(sc, {}):
                    return self.sticky[sc]["min_duration_seconds"]
        return AWS_MIN_DURATION


def read_secret(path):
    with open(path) as f:
        return f.read().strip()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "kith-redshift-iam-standin"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), fmt % args))

    @property
    def state(self):
        return self.server.state

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def reply(self, status, body, content_type="text/xml", headers=()):
        body = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, status, obj):
        self.reply(status, json.dumps(obj), "application/json")

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_standin/"):
            return self.admin(method, url)
        body = self.read_body()
        if method != "POST" or url.path != "/":
            return self.reply(404 if method == "POST" else 405, error_xml(
                "UnknownOperationException", "The requested operation is not supported.", "Sender", uuid.uuid4()))
        self.api(body)

    # --- GetClusterCredentials ---------------------------------------------------------------------------------
    def api(self, body):
        st = self.state
        request_id = str(uuid.uuid4())
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                                         keep_blank_values=True).items()}
        scope = form.get("ClusterIdentifier", "").lower() or None
        st.count(scope, "requests")
        try:
            self.authenticate(body)
            params = self.validate(form, scope)
            fault = st.take_fault(scope)
            if fault and self.apply_fault(fault, scope, request_id):
                return
            role, password, expiration = st.logins.issue(params["user"], params["duration"])
        except Refused as r:
            st.count(scope, r.counter)
            return self.reply(r.status, error_xml(r.code, r.message, r.type, request_id),
                              headers=[("x-amzn-RequestId", request_id)])
        st.count(scope, "credentials_issued")
        self.reply(200, credentials_xml(role, password, expiration, request_id),
                   headers=[("x-amzn-RequestId", request_id)])

    def authenticate(self, body):
        st = self.state
        auth = self.headers.get("Authorization")
        if not auth:
            raise Refused(403, "MissingAuthenticationToken", "Request is missing Authentication Token",
                          "auth_failures")
        m = AUTH_RE.match(auth.strip())
        if not m:
            raise Refused(400, "IncompleteSignature", "Authorization header requires 'Credential', "
                          "'Signature' and 'SignedHeaders' parameters of an AWS4-HMAC-SHA256 signature.",
                          "auth_failures")
        key_id, scope_date, region, service, signed, signature = m.groups()
        signed = signed.split(";")
        amz_date = self.headers.get("X-Amz-Date", "")
        if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date) or "host" not in signed or "x-amz-date" not in signed:
            raise Refused(400, "IncompleteSignature", "Authorization header requires existence of a signed "
                          "'X-Amz-Date' header and a signed 'Host' header.", "auth_failures")
        if key_id != st.access_key_id or self.headers.get("X-Amz-Security-Token") != st.session_token:
            raise Refused(403, "InvalidClientTokenId", BAD_TOKEN, "auth_failures")
        self.check_scope(amz_date, scope_date, region, service)
        expected, canonical, to_sign = self.expected_signature(body, signed, amz_date, region)
        if not hmac.compare_digest(expected, signature):
            raise Refused(403, "SignatureDoesNotMatch", BAD_SIGNATURE + "\n\nThe Canonical String for this request "
                          "should have been\n'" + canonical + "'\n\nThe String-to-Sign should have been\n'" +
                          to_sign + "'\n", "signature_failures")

    def check_scope(self, amz_date, scope_date, region, service):
        st = self.state
        if scope_date != amz_date[:8]:
            raise Refused(403, "SignatureDoesNotMatch", "Date in Credential scope does not match YYYYMMDD from "
                          "ISO-8601 version of date from HTTP: '%s' != '%s', from 'X-Amz-Date'."
                          % (scope_date, amz_date[:8]), "auth_failures")
        if region != st.region:
            raise Refused(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region. ",
                          "auth_failures")
        if service != "redshift":
            raise Refused(403, "SignatureDoesNotMatch", "Credential should be scoped to correct service: "
                          "'redshift'. ", "auth_failures")
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        then = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        if then < now - MAX_SKEW:
            raise Refused(403, "SignatureDoesNotMatch", "Signature expired: %s is now earlier than %s (%s - 15 min.)"
                          % (amz_date, amz_time(now - MAX_SKEW), amz_time(now)), "auth_failures")
        if then > now + MAX_SKEW:
            raise Refused(403, "SignatureDoesNotMatch", "Signature not yet current: %s is still later than %s "
                          "(%s + 15 min.)" % (amz_date, amz_time(now + MAX_SKEW), amz_time(now)), "auth_failures")

    def expected_signature(self, body, signed, amz_date, region):
        """botocore's SigV4 over the headers the request says it signed, at its own X-Amz-Date."""
        st = self.state
        headers = {name: ",".join(v.strip() for v in self.headers.get_all(name, [])) for name in signed}
        request = AWSRequest(method="POST", url="http://%s%s" % (headers.get("host", ""), self.path), data=body,
                             headers=headers)
        request.context["timestamp"] = amz_date
        signer = SigV4Auth(Credentials(st.access_key_id, st.secret, st.session_token), "redshift", region)
        canonical = signer.canonical_request(request)
        to_sign = signer.string_to_sign(request, canonical)
        return signer.signature(to_sign, request), canonical, to_sign

    def validate(self, form, scope):
        st = self.state
        if form.get("Action") != "GetClusterCredentials":
            raise Refused(400, "InvalidAction", "The action %s is not valid for this web service."
                          % form.get("Action", ""))
        if form.get("Version") != "2012-12-01":
            raise Refused(400, "NoSuchVersion", "The requested version (%s) of service AmazonRedshift does not "
                          "exist" % form.get("Version", ""))
        for name in ("ClusterIdentifier", "DbUser"):
            if not form.get(name):
                raise Refused(400, "MissingParameter", "The request must contain the parameter " + name)
        if scope != st.cluster_id and not scope.startswith(st.cluster_id + "-"):
            raise Refused(404, "ClusterNotFound", "Cluster %s not found." % form["ClusterIdentifier"])
        user = form["DbUser"]
        if not DB_USER_RE.match(user) or user.lower() == "public":
            raise Refused(400, "InvalidParameterValue", "DbUser %s is not a valid user name." % user)
        if form.get("AutoCreate", "false").lower() != "false":
            raise Refused(400, "InvalidParameterValue", "AutoCreate=true is not supported by this stand-in.")
        low = st.min_duration(scope)
        duration = form.get("DurationSeconds", str(AWS_MIN_DURATION))
        if not duration.isdigit() or not low <= int(duration) <= AWS_MAX_DURATION:
            raise Refused(400, "InvalidParameterValue", "DurationSeconds must be between %d and %d seconds."
                          % (low, AWS_MAX_DURATION))
        return {"user": user, "duration": int(duration)}

    def apply_fault(self, fault, scope, request_id):
        """Answers or drops as the rule says; True when the request is finished with."""
        self.state.count(scope, "faulted")
        if fault.get("drop"):
            self.drop()
            return True
        status = int(fault["status"])
        code, message = FAULT_TEXT.get(status, ("InternalFailure", "Injected failure."))
        code, message = fault.get("code", code), fault.get("message", message)
        headers = [("x-amzn-RequestId", request_id)]
        if "retry_after" in fault:
            headers.append(("Retry-After", str(fault["retry_after"])))
        self.reply(status, error_xml(code, message, "Sender" if status < 500 else "Receiver", request_id),
                   headers=headers)
        return True

    # --- admin ---------------------------------------------------------------------------------------------------
    def admin(self, method, url):
        st = self.state
        scope = (urllib.parse.parse_qs(url.query).get("scope") or [None])[0]
        scope = scope.lower() if scope else None
        body = self.read_body() if method in ("POST", "DELETE") else b""
        if url.path == "/_standin/health" and method == "GET":
            return self.reply(200, "ok\n", "text/plain")
        if url.path == "/_standin/stats" and method in ("GET", "DELETE"):
            if method == "DELETE":
                with st.lock:
                    if scope is None:
                        st.stats.clear()
                    else:
                        st.stats.pop(scope, None)
            return self.reply_json(200, st.snapshot(scope))
        if url.path == "/_standin/faults" and method == "DELETE":
            with st.lock:
                st.faults = [r for r in st.faults if scope is not None and r.get("scope") != scope]
                if scope is None:
                    st.sticky.clear()
                else:
                    st.sticky.pop(scope, None)
            return self.reply_json(200, st.snapshot(scope))
        if url.path == "/_standin/faults" and method == "POST":
            try:
                self.add_rule(json.loads(body or b"{}"), scope)
            except (ValueError, TypeError) as e:
                return self.reply_json(400, {"error": str(e)})
            snap = st.snapshot(scope)
            return self.reply_json(200, {"pending": snap["pending"], "sticky": snap["sticky"]})
        return self.reply_json(404, {"error": "no such admin route"})

    def add_rule(self, rule, scope):
        st = self.state
        if not isinstance(rule, dict):
            raise ValueError("a JSON object is expected")
        if "min_duration_seconds" in rule:
            low = int(rule.pop("min_duration_seconds"))
            if not 1 <= low <= AWS_MAX_DURATION:
                raise ValueError("min_duration_seconds must be from 1 to %d" % AWS_MAX_DURATION)
            with st.lock:
                st.sticky.setdefault(scope, {})["min_duration_seconds"] = low
            if not rule:
                return
        if "status" not in rule and not rule.get("drop"):
            raise ValueError("one of status, drop, min_duration_seconds is needed")
        if "status" in rule and not 400 <= int(rule["status"]) <= 599:
            raise ValueError("status must be an HTTP error status")
        rule["count"] = int(rule.get("count", 1))
        if rule["count"] < 1:
            raise ValueError("count must be at least 1")
        if scope is not None:
            rule["scope"] = scope
        with st.lock:
            st.faults.append(rule)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    ap.add_argument("--port-file", help="write the port listened on here once ready")
    ap.add_argument("--psql", required=True, help="the psql binary")
    ap.add_argument("--pg-socket-dir", required=True, help="the PostgreSQL server's Unix socket folder")
    ap.add_argument("--pg-port", type=int, required=True)
    ap.add_argument("--access-key-id", required=True)
    ap.add_argument("--secret-file", required=True, help="file holding the secret access key")
    ap.add_argument("--session-token-file", required=True, help="file holding the session token")
    ap.add_argument("--cluster-id", default="kith-standin")
    ap.add_argument("--region", default="us-east-1")
    args = ap.parse_args()
    check_with_botocore()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args, Logins(args.psql, args.pg_socket_dir, args.pg_port))
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    sys.stderr.write("redshift IAM stand-in on 127.0.0.1:%d (cluster %s, region %s)\n"
                     % (port, args.cluster_id, args.region))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
