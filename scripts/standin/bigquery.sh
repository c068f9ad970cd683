# shellcheck shell=bash
# The BigQuery stand-in, sourced by scripts/standin.sh (`scripts/standin.sh start|stop|status bigquery`).
#
# start: test/support/bigquery_standin.py (the .venv's Python, in its own process group through setsid) on a free
#   port of 127.0.0.1, answering BigQuery's REST API v2 (jobs.query, jobs.getQueryResults, jobs.get,
#   jobs.cancel) and Google's OAuth token endpoint for service accounts (POST /token), executing every
#   statement on DuckDB (.standin/bigquery/bigquery.duckdb) after sqlglot transpiles it from BigQuery's SQL.
#   Every start is a cold one: the database is wiped and holds the empty dataset `kith`, and a new
#   service-account key (RSA 2048; .standin/bigquery/service_account.json, mode 0600, token_uri = the
#   stand-in's /token) and a plain access token (.standin/bigquery/access_token, 0600, for tests of
#   BIGQUERY_ACCESS_TOKEN) are generated. Log: .standin/bigquery/bigquery.log.
#     prints: export GOOGLE_APPLICATION_CREDENTIALS=/abs/.standin/bigquery/service_account.json
#             export KITH_WAREHOUSE='bigquery://standin-project/kith?location=US&endpoint=http://127.0.0.1:PORT'
#   Fault injection, counters and the statements run: the admin routes /_standin/faults, /_standin/stats,
#   /_standin/statements on the same port (no token), scoped with ?scope=PROJECT; see the top of
#   test/support/bigquery_standin.py.
#     curl -X POST -d '{"status": 503, "reason": "backendError"}' http://127.0.0.1:PORT/_standin/faults
#     curl -X POST -d '{"delay_ms": 3000}' 'http://127.0.0.1:PORT/_standin/faults?scope=my-project'
#     curl http://127.0.0.1:PORT/_standin/stats
# Files in $DIR: bigquery.pid, bigquery.port, bigquery.duckdb, service_account.json, access_token, bigquery.log.

BQ_PROJECT=standin-project

engine_pid() { cat "$DIR/bigquery.pid"; }

engine_running() {
  [[ -f "$DIR/env" && -s "$DIR/bigquery.port" ]] || return 1
  live_pid "$DIR/bigquery.pid" >/dev/null || return 1
  port_open "$(cat "$DIR/bigquery.port")" || return 1
}

engine_stop() {
  stop_group "$DIR/bigquery.pid"
  rm -f "$DIR/bigquery.port"
}

# Waits for the server's port file, then for /_standin/health to answer; 1 if it died or the time ran out.
bq_wait() { # deadline
  local deadline=$1 port
  while ((SECONDS < deadline)); do
    launched_alive "$DIR/bigquery.pid" || { log "the BigQuery stand-in exited during start"; return 1; }
    if [[ -s "$DIR/bigquery.port" ]]; then
      port=$(cat "$DIR/bigquery.port")
      if "$VENV/bin/python" -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=5).read()' \
           "http://127.0.0.1:$port/_standin/health" 2>/dev/null; then
        BQ_PORT=$port
        return 0
      fi
    fi
    sleep 0.1
  done
  log "the BigQuery stand-in did not answer within ${START_TIMEOUT}s"
  return 1
}

# A real query through the API, authenticated with the plain access token: the stand-in answers from DuckDB.
bq_probe() {
  "$VENV/bin/python" - "$BQ_PORT" "$DIR/access_token" "$BQ_PROJECT" <<'EOF'
import json, sys, urllib.request as u
port, token_file, project = sys.argv[1], sys.argv[2], sys.argv[3]
token = open(token_file).read().strip()
req = u.Request("http://127.0.0.1:%s/bigquery/v2/projects/%s/queries" % (port, project), method="POST",
                data=json.dumps({"query": "SELECT 'standin' || '-ready' AS r", "useLegacySql": False}).encode(),
                headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
answer = json.load(u.urlopen(req, timeout=30))
assert answer["rows"][0]["f"][0]["v"] == "standin-ready", answer
u.urlopen(u.Request("http://127.0.0.1:%s/_standin/stats" % port, method="DELETE"), timeout=10).read()
u.urlopen(u.Request("http://127.0.0.1:%s/_standin/faults" % port, method="DELETE"), timeout=10).read()
EOF
}

engine_start() { # deadline
  local deadline=$1
  "$VENV/bin/python" -c 'import duckdb, jwt, sqlglot, cryptography' 2>/dev/null ||
    die "bigquery: duckdb, PyJWT, sqlglot or cryptography is not importable from .venv (scripts/setup.sh venv)"
  rm -f "$DIR/bigquery.port"
  : > "$DIR/bigquery.log"
  log "starting the BigQuery stand-in (DuckDB), log $DIR/bigquery.log"
  ( close_fds; cd "$DIR" && exec setsid "$VENV/bin/python" "$ROOT/test/support/bigquery_standin.py" --fresh \
      --port-file "$DIR/bigquery.port" --db "$DIR/bigquery.duckdb" --key-file "$DIR/service_account.json" \
      --access-token-file "$DIR/access_token" --project "$BQ_PROJECT" \
      </dev/null >>"$DIR/bigquery.log" 2>&1 ) {LOCK_FD}>&- &
  echo $! > "$DIR/bigquery.pid"
  bq_wait "$deadline" || { tail -n 30 "$DIR/bigquery.log" >&2; return 1; }
  bq_probe >&2 || { log "bigquery: no answer to a query"; tail -n 30 "$DIR/bigquery.log" >&2; return 1; }
  env_lines="export GOOGLE_APPLICATION_CREDENTIALS=$DIR/service_account.json
export KITH_WAREHOUSE='bigquery://$BQ_PROJECT/kith?location=US&endpoint=http://127.0.0.1:$BQ_PORT'"
}
