# shellcheck shell=bash
# The Snowflake stand-in, sourced by scripts/standin.sh (`scripts/standin.sh start|stop|status snowflake`).
#
# start: makes sure .venv-snowflake is installed (`scripts/setup.sh venv`, from scripts/requirements-snowflake.lock:
# fakesnow 0.12.1 with its DuckDB, PyJWT, cryptography), then at each (cold) start, in .standin/snowflake/:
#   - wipes the warehouse: db/ (fakesnow's DuckDB files, one per database) starts empty, with database KITH and
#     its schema PUBLIC created empty by the server;
#   - makes an RSA 2048 key pair the way Snowflake's key-pair authentication documents it with openssl:
#     rsa_key.p8, the private key as encrypted PKCS#8 PEM (PBES2, AES-256-CBC) under a generated passphrase
#     (rsa_key.passphrase), and rsa_key.pub, the public key (PEM SubjectPublicKeyInfo) that the server
#     verifies JWTs with; and oauth_token, an OAuth / programmatic access token the server also accepts. All
#     mode 0600;
#   - starts test/support/snowflake_standin.py (its header documents the protocol and the admin routes) on a
#     free port of 127.0.0.1, in its own process group (setsid), log snowflake.log, pid snowflake.pid, port
#     snowflake.port; account STANDIN, user KITH;
#   - waits until it answers a real statement through the SQL API (SELECT 'standin' || '-ready', with the OAuth
#     token), then sets its counters back to 0.
# It prints (the OAuth token is in .standin/snowflake/oauth_token, for SNOWFLAKE_TOKEN):
#   export SNOWFLAKE_PRIVATE_KEY_PATH=/abs/path/.standin/snowflake/rsa_key.p8
#   export SNOWFLAKE_PRIVATE_KEY_PASSPHRASE=<48 hex digits>
#   export KITH_WAREHOUSE='snowflake://STANDIN/KITH/PUBLIC?warehouse=STANDIN_WH&user=KITH&endpoint=http://127.0.0.1:PORT'
# Fault injection, stats and the list of executed statements: the server's /_standin/ routes on the same port
# (see the top of test/support/snowflake_standin.py), e.g.
#   curl -X POST -d '{"status": 429, "retry_after": 1}' 'http://127.0.0.1:PORT/_standin/faults?scope=MY_WH'
#   curl 'http://127.0.0.1:PORT/_standin/stats?scope=MY_WH'

SF_VENV="$ROOT/.venv-snowflake"

# Like ensure_venv (standin.sh) for .venv: `scripts/setup.sh venv` installs both venvs, each skipped when its
# stamp matches its lock.
ensure_venv_snowflake() {
  local want
  want="$(openssl dgst -sha256 -r "$ROOT/scripts/requirements-snowflake.lock" | cut -d' ' -f1)"
  if [[ -x "$SF_VENV/bin/python" && -f "$SF_VENV/.stamp" && "$(cut -d' ' -f1 "$SF_VENV/.stamp")" == "$want" ]]; then
    return 0
  fi
  log "setting up .venv-snowflake (scripts/setup.sh venv)"
  flock "$STATE_ROOT/setup.lock" "$ROOT/scripts/setup.sh" venv >&2
}

engine_pid() { live_pid "$DIR/snowflake.pid"; }

engine_running() {
  [[ -f "$DIR/env" && -s "$DIR/snowflake.port" ]] || return 1
  live_pid "$DIR/snowflake.pid" >/dev/null || return 1
  port_open "$(cat "$DIR/snowflake.port")"
}

engine_stop() {
  stop_group "$DIR/snowflake.pid"
  rm -f "$DIR/snowflake.port"
}

# The key pair, the passphrase and the token, fresh at each cold start.
make_credentials() {
  rm -f "$DIR/rsa_key.p8" "$DIR/rsa_key.pub" "$DIR/rsa_key.passphrase" "$DIR/oauth_token"
  (
    umask 077
    openssl rand -hex 24 > "$DIR/rsa_key.passphrase"
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DIR/rsa_key.plain.pem" 2>/dev/null
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$DIR/rsa_key.plain.pem" -out "$DIR/rsa_key.p8" \
      -passout "file:$DIR/rsa_key.passphrase"
    openssl pkey -in "$DIR/rsa_key.plain.pem" -pubout -out "$DIR/rsa_key.pub"
    rm -f "$DIR/rsa_key.plain.pem"
    echo "sfoauth$(openssl rand -hex 24)" > "$DIR/oauth_token"
  )
  chmod 600 "$DIR/rsa_key.p8" "$DIR/rsa_key.pub" "$DIR/rsa_key.passphrase" "$DIR/oauth_token"
}

# One statement through the SQL API with the OAuth token; 0 when its answer came back.
ready_query() { # port
  "$SF_VENV/bin/python" - "$1" "$DIR/oauth_token" <<'EOF' >&2
import json, sys, urllib.request
port, token = sys.argv[1], open(sys.argv[2]).read().strip()
req = urllib.request.Request(
    "http://127.0.0.1:%s/api/v2/statements?async=false" % port, method="POST",
    data=json.dumps({"statement": "SELECT 'standin' || '-ready'", "warehouse": "STANDIN_WH",
                     "database": "KITH", "schema": "PUBLIC"}).encode(),
    headers={"Authorization": "Bearer " + token, "X-Snowflake-Authorization-Token-Type": "OAUTH",
             "Content-Type": "application/json", "Accept": "application/json", "User-Agent": "kith-standin/1"})
answer = json.load(urllib.request.urlopen(req, timeout=60))
sys.exit(0 if answer.get("data") == [["standin-ready"]] else 1)
EOF
}

engine_start() { # deadline
  local deadline=$1 port i
  ensure_venv_snowflake
  "$SF_VENV/bin/python" -c 'import fakesnow, jwt' || { log "fakesnow is not importable from .venv-snowflake"; return 1; }
  rm -rf "$DIR/db"
  mkdir -p "$DIR/db"
  make_credentials
  rm -f "$DIR/snowflake.port"
  : > "$DIR/snowflake.log"
  log "starting the Snowflake stand-in (fakesnow $("$SF_VENV/bin/python" -c 'from importlib.metadata import version; print(version("fakesnow"))')) on 127.0.0.1, log $DIR/snowflake.log"
  ( close_fds; cd "$DIR" && exec setsid "$SF_VENV/bin/python" "$ROOT/test/support/snowflake_standin.py" \
      --port-file "$DIR/snowflake.port" --db-path "$DIR/db" --public-key "$DIR/rsa_key.pub" \
      --token-file "$DIR/oauth_token" --account STANDIN --user KITH --database KITH --schema PUBLIC \
      </dev/null >>"$DIR/snowflake.log" 2>&1 ) {LOCK_FD}>&- &
  echo $! > "$DIR/snowflake.pid"
  while ((SECONDS < deadline)); do
    [[ -s "$DIR/snowflake.port" ]] && break
    launched_alive "$DIR/snowflake.pid" || { log "the Snowflake stand-in exited during start"; break; }
    sleep 0.1
  done
  if [[ ! -s "$DIR/snowflake.port" ]]; then
    tail -n 30 "$DIR/snowflake.log" >&2 || true
    return 1
  fi
  port=$(cat "$DIR/snowflake.port")
  for ((i = 0; i < 3; i++)); do
    ready_query "$port" && break
    sleep 1
  done
  if ((i == 3)); then
    log "the Snowflake stand-in does not answer a statement"
    tail -n 30 "$DIR/snowflake.log" >&2 || true
    return 1
  fi
  "$SF_VENV/bin/python" -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], method="DELETE"), timeout=10)' \
    "http://127.0.0.1:$port/_standin/stats" >&2 || true
  env_lines="export SNOWFLAKE_PRIVATE_KEY_PATH=$DIR/rsa_key.p8
export SNOWFLAKE_PRIVATE_KEY_PASSPHRASE=$(cat "$DIR/rsa_key.passphrase")
export KITH_WAREHOUSE='snowflake://STANDIN/KITH/PUBLIC?warehouse=STANDIN_WH&user=KITH&endpoint=http://127.0.0.1:$port'"
}
