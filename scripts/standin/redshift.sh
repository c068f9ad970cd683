# shellcheck shell=bash
# The Redshift stand-in, sourced by scripts/standin.sh (`scripts/standin.sh start|stop|status redshift`).
#
# Redshift speaks PostgreSQL's wire protocol; its stand-in is a real PostgreSQL server (Debian's, the one the
# other tests use: $KITH_PG_BINDIR, else `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin), set up
# to behave as Redshift does where kith's SQL could tell the difference:
#   - initdb --locale=C --encoding=UTF8: text compares by its bytes, as in Redshift;
#   - standard_conforming_strings = off, escape_string_warning = off: a backslash is an escape character in
#     string literals, as in Redshift;
#   - password authentication (scram-sha-256) over TCP for every role but the superuser: the user kith, owner of
#     the database kith, allowed to create databases (the agreement suites make one per generated warehouse),
#     its password generated at each cold start (mode 0600 in .standin/redshift/password); and the temporary IAM
#     logins below.
# Every statement kith emits for Redshift is also parsed by sqlglot's Redshift dialect (test/support/sqlglot_check).
# The server listens on a free port of 127.0.0.1 only; as root it runs as the `postgres` system user.
# A cold start begins with an empty data directory.
#
# IAM logins: beside the server runs test/support/redshift_iam_standin.py (its header documents it), Redshift's
# GetClusterCredentials on another free port of 127.0.0.1 (log iam.log, pid iam.pid, port iam.port): it verifies
# each request's SigV4 signature with botocore (.venv, scripts/requirements.lock) against an AWS access key made
# at each cold start (a temporary one: key id ASIA..., secret and session token in aws_secret_access_key and
# aws_session_token, mode 0600), for the clusters kith-standin and kith-standin-* of region us-east-1, and answers
# with a real temporary role "IAM:<DbUser>" of the server. The start checks it with botocore's own Redshift
# client (GetClusterCredentials, then a login with the answer), then sets its counters back to 0.
# Fault injection and counters: its /_standin/ routes (e.g. curl -X POST -d '{"status": 503}'
# 'http://127.0.0.1:IPORT/_standin/faults?scope=kith-standin-mine').
#
# It prints:
#   export PGPASSWORD=<32 hex digits>
#   export AWS_ACCESS_KEY_ID=ASIA<16 hex digits>
#   export AWS_SECRET_ACCESS_KEY=<40 characters>
#   export AWS_SESSION_TOKEN=<128 characters>
#   export KITH_WAREHOUSE_IAM='redshift://kith@kith-standin.cstandin.us-east-1.redshift.amazonaws.com:5439/kith?sslmode=disable&auth=iam&endpoint=127.0.0.1:PORT&iam_endpoint=http://127.0.0.1:IPORT'
#   export KITH_WAREHOUSE='redshift://kith@127.0.0.1:PORT/kith?sslmode=disable'
# (the IAM URI names the cluster by its AWS host name, from which kith takes the cluster id and the region;
# endpoint= and iam_endpoint= send the login and the API call to the stand-in).

RS_DATA="$DIR/data"

pg_bindir() {
  local dir
  if [[ -n "${KITH_PG_BINDIR:-}" && -x "$KITH_PG_BINDIR/pg_ctl" ]]; then echo "$KITH_PG_BINDIR"; return; fi
  if dir=$(pg_config --bindir 2>/dev/null) && [[ -x "$dir/pg_ctl" && -x "$dir/initdb" ]]; then echo "$dir"; return; fi
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$dir" && -x "$dir/pg_ctl" ]] || die "redshift: no PostgreSQL server binaries (scripts/setup.sh installs postgresql)"
  echo "$dir"
}

# Runs a server program as the user that owns the data directory (postgres when we are root).
as_server_user() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

engine_pid() { head -n 1 "$RS_DATA/postmaster.pid" 2>/dev/null; }

engine_running() {
  [[ -f "$DIR/env" && -s "$DIR/port" && -s "$DIR/iam.port" ]] || return 1
  local pid
  pid=$(engine_pid) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  port_open "$(cat "$DIR/port")" || return 1
  live_pid "$DIR/iam.pid" >/dev/null || return 1
  port_open "$(cat "$DIR/iam.port")"
}

engine_stop() {
  stop_group "$DIR/iam.pid"
  rm -f "$DIR/iam.port"
  if [[ -f "$RS_DATA/postmaster.pid" ]]; then
    as_server_user "$(pg_bindir)/pg_ctl" -D "$RS_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_server_user "$(pg_bindir)/pg_ctl" -D "$RS_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -f "$DIR/port"
}

engine_start() { # deadline
  local bindir port password attempt
  bindir=$(pg_bindir)
  rm -rf "$RS_DATA"
  mkdir -p "$RS_DATA"
  (umask 077 && openssl rand -hex 16 > "$DIR/password")
  password=$(cat "$DIR/password")
  if ((EUID == 0)); then
    chown postgres: "$DIR" "$RS_DATA"
    chmod 0711 "$DIR"
    cp "$DIR/password" "$DIR/password.server" && chown postgres: "$DIR/password.server"
  else
    cp "$DIR/password" "$DIR/password.server"
  fi
  # The superuser authenticates by trust over the Unix socket only (setup below); kith by password over TCP.
  as_server_user "$bindir/initdb" -D "$RS_DATA" -U postgres --locale=C --encoding=UTF8 -A trust \
    >"$DIR/initdb.log" 2>&1 || { tail -n 20 "$DIR/initdb.log" >&2; return 1; }
  cat > "$RS_DATA/pg_hba.conf" <<'HBA'
local all postgres trust
host  all postgres 127.0.0.1/32 reject
host  all all 127.0.0.1/32 scram-sha-256
HBA
  cat >> "$RS_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$RS_DATA'
standard_conforming_strings = off
escape_string_warning = off
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
CONF
  for attempt in 1 2 3; do
    port=$(free_port)
    : > "$DIR/server.log"
    ((EUID != 0)) || chown postgres: "$DIR/server.log"
    log "starting PostgreSQL ($("$bindir/postgres" --version)) as the Redshift stand-in on 127.0.0.1:$port, log $DIR/server.log"
    if ( close_fds; as_server_user "$bindir/pg_ctl" -D "$RS_DATA" -l "$DIR/server.log" -w -t 60 \
           -o "-p $port" start </dev/null >/dev/null 2>&1 ) {LOCK_FD}>&-; then
      break
    fi
    grep -q "could not bind\|Address already in use" "$DIR/server.log" || { tail -n 20 "$DIR/server.log" >&2; return 1; }
    port=""
  done
  [[ -n "$port" ]] || return 1
  as_server_user "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$RS_DATA" -p "$port" -U postgres -d postgres \
    -v password="$password" >"$DIR/setup.log" 2>&1 <<'SQL' || { cat "$DIR/setup.log" >&2; return 1; }
CREATE ROLE kith LOGIN CREATEDB PASSWORD :'password';
CREATE DATABASE kith OWNER kith;
SQL
  rm -f "$DIR/password.server"
  # A real query as kith over TCP with the password, as kith will connect.
  PGPASSWORD="$password" "$bindir/psql" -X -q -At -h 127.0.0.1 -p "$port" -U kith -d kith \
    -c "SELECT 'standin' || '-ready'" 2>>"$DIR/setup.log" | grep -q standin-ready ||
    { cat "$DIR/setup.log" >&2; return 1; }
  echo "$port" > "$DIR/port"
  start_iam "$bindir" "$port" "$1" || return 1
  local iam_uri
  iam_uri="redshift://kith@kith-standin.cstandin.us-east-1.redshift.amazonaws.com:5439/kith?sslmode=disable&auth=iam"
  iam_uri+="&endpoint=127.0.0.1:$port&iam_endpoint=http://127.0.0.1:$(cat "$DIR/iam.port")"
  env_lines="export PGPASSWORD=$password
export AWS_ACCESS_KEY_ID=$(cat "$DIR/aws_access_key_id")
export AWS_SECRET_ACCESS_KEY=$(cat "$DIR/aws_secret_access_key")
export AWS_SESSION_TOKEN=$(cat "$DIR/aws_session_token")
export KITH_WAREHOUSE_IAM='$iam_uri'
export KITH_WAREHOUSE='redshift://kith@127.0.0.1:$port/kith?sslmode=disable'"
}

# A temporary AWS access key, fresh at each cold start: key id, secret access key and session token.
make_aws_key() {
  (
    umask 077
    echo "ASIA$(openssl rand -hex 8 | tr 'a-f' 'A-F')" > "$DIR/aws_access_key_id"
    openssl rand -base64 30 > "$DIR/aws_secret_access_key"
    openssl rand -base64 96 | tr -d '\n' > "$DIR/aws_session_token"
  )
}

# Starts the IAM endpoint beside the server (its PostgreSQL on port $2), then checks it with botocore's client.
start_iam() { # bindir pg-port deadline
  local bindir=$1 pg_port=$2 deadline=$3
  make_aws_key
  rm -f "$DIR/iam.port"
  : > "$DIR/iam.log"
  ( close_fds; cd "$DIR" && exec setsid "$VENV/bin/python" "$ROOT/test/support/redshift_iam_standin.py" \
      --port-file "$DIR/iam.port" --psql "$bindir/psql" --pg-socket-dir "$RS_DATA" --pg-port "$pg_port" \
      --access-key-id "$(cat "$DIR/aws_access_key_id")" --secret-file "$DIR/aws_secret_access_key" \
      --session-token-file "$DIR/aws_session_token" --cluster-id kith-standin --region us-east-1 \
      </dev/null >>"$DIR/iam.log" 2>&1 ) {LOCK_FD}>&- &
  echo $! > "$DIR/iam.pid"
  while ((SECONDS < deadline)); do
    [[ -s "$DIR/iam.port" ]] && break
    launched_alive "$DIR/iam.pid" || { log "the Redshift IAM endpoint exited during start"; break; }
    sleep 0.1
  done
  [[ -s "$DIR/iam.port" ]] || { tail -n 20 "$DIR/iam.log" >&2; return 1; }
  iam_ready "$bindir" "$pg_port" "$(cat "$DIR/iam.port")" || { tail -n 20 "$DIR/iam.log" >&2; return 1; }
  "$VENV/bin/python" -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], method="DELETE"), timeout=10)' \
    "http://127.0.0.1:$(cat "$DIR/iam.port")/_standin/stats" >&2
}

# GetClusterCredentials through botocore's Redshift client (its signer, its parser), then a login with the answer.
iam_ready() { # bindir pg-port iam-port
  local login
  login=$(AWS_ACCESS_KEY_ID=$(cat "$DIR/aws_access_key_id") AWS_SECRET_ACCESS_KEY=$(cat "$DIR/aws_secret_access_key") \
    AWS_SESSION_TOKEN=$(cat "$DIR/aws_session_token") "$VENV/bin/python" - "$3" <<'EOF'
import sys, botocore.session
client = botocore.session.get_session().create_client(
    "redshift", region_name="us-east-1", endpoint_url="http://127.0.0.1:" + sys.argv[1])
answer = client.get_cluster_credentials(ClusterIdentifier="kith-standin", DbUser="kith", DbName="kith",
                                        DurationSeconds=900, AutoCreate=False)
print(answer["DbUser"] + "\n" + answer["DbPassword"])
EOF
  ) || return 1
  PGPASSWORD=$(sed -n 2p <<<"$login") "$1/psql" -X -q -At -h 127.0.0.1 -p "$2" -U "$(head -n 1 <<<"$login")" -d kith \
    -c "SELECT session_user || ' as ' || current_user" 2>>"$DIR/setup.log" | grep -qx 'IAM:kith as kith'
}
