# shellcheck shell=bash
# The Redshift stand-in, sourced by scripts/standin.sh (`scripts/standin.sh start|stop|status redshift`).
#
# Redshift speaks PostgreSQL's wire protocol; its stand-in is a real PostgreSQL server (Debian's, the one the
# other tests use: $KITH_PG_BINDIR, else `pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin), set up
# to behave as Redshift does where kith's SQL could tell the difference:
#   - initdb --locale=C --encoding=UTF8: text compares by its bytes, as in Redshift;
#   - standard_conforming_strings = off, escape_string_warning = off: a backslash is an escape character in
#     string literals, as in Redshift;
#   - password authentication (scram-sha-256) for the user kith, owner of the database kith, allowed to create
#     databases (the agreement suites make one per generated warehouse); the password is generated at each
#     cold start (mode 0600 in .standin/redshift/password).
# Every statement kith emits for Redshift is also parsed by sqlglot's Redshift dialect (test/support/sqlglot_check).
# The server listens on a free port of 127.0.0.1 only; as root it runs as the `postgres` system user.
# A cold start begins with an empty data directory.
# It prints:
#   export PGPASSWORD=<32 hex digits>
#   export KITH_WAREHOUSE=redshift://kith@127.0.0.1:PORT/kith?sslmode=disable

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
  [[ -f "$DIR/env" && -s "$DIR/port" ]] || return 1
  local pid
  pid=$(engine_pid) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  port_open "$(cat "$DIR/port")"
}

engine_stop() {
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
host  all kith 127.0.0.1/32 scram-sha-256
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
  env_lines="export PGPASSWORD=$password
export KITH_WAREHOUSE='redshift://kith@127.0.0.1:$port/kith?sslmode=disable'"
}
