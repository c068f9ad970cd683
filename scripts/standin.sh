#!/usr/bin/env bash
# Local stand-ins for the warehouses kith runs on (../shared/spec/warehouses.md, "Local stand-ins"):
#
#   eval "$(scripts/standin.sh start spark)"       # or databricks
#   kith members --warehouse "$KITH_WAREHOUSE" ...
#   scripts/standin.sh status spark
#   scripts/standin.sh stop spark                  # `stop all` stops every engine below
#
# start ENGINE installs what it needs if missing (.venv through `scripts/setup.sh venv`), starts the stand-in on
# 127.0.0.1, waits until it answers a query, and prints on stdout only `export NAME=value` lines: the secrets
# the engine needs, and last `export KITH_WAREHOUSE=URI`. Everything else goes to stderr and to logs in
# .standin/ENGINE/ ($KITH_STANDIN_DIR overrides .standin). An engine that is already running prints the same
# lines again at once. Concurrent callers (parallel test binaries) are serialised with flock: the first starts
# the engine, the others wait and reuse it. A cold start begins with an empty warehouse (the metastore and the
# warehouse folder are wiped); the stand-in then stays up until `stop`.
#
# spark: a real Apache Spark (pyspark's distribution in .venv, SPARK_HOME = the pyspark package) in local mode,
#   local[2], driver memory 2g, running its HiveServer2 Thrift JDBC/ODBC server (HiveThriftServer2) in binary
#   transport with authentication NONE (clients do the SASL PLAIN handshake), a Derby metastore and the
#   warehouse folder under .standin/spark, session time zone UTC, the TIME type on (spark.sql.timeType.enabled,
#   off by default in Spark 4.1+: kith's TIME filters and `kith copy` of TIME columns need it), Spark 4's
#   defaults otherwise (ANSI mode on), 4 shuffle partitions, no UI. KITH_STANDIN_SPARK_CONF adds
#   settings at a cold start, `key=value` separated by `;` (e.g. 'spark.sql.timeType.enabled=true').
#     prints: export KITH_WAREHOUSE=spark://127.0.0.1:PORT/default
# databricks: a second Spark JVM like the one above (its own metastore and warehouse under
#   .standin/databricks) whose Thrift server runs in HTTP transport (path /cliservice), behind
#   test/support/databricks_proxy.py, which answers POST /sql/1.0/warehouses/<ID> as a Databricks SQL warehouse:
#   it checks `Authorization: Bearer <DATABRICKS_TOKEN>` (or Basic token:<DATABRICKS_TOKEN>), answers 401
#   without a credential and 403 "Invalid access token." for a wrong one, and forwards the rest to Spark.
#     prints: export DATABRICKS_TOKEN=dapi...   (generated at each cold start)
#             export KITH_WAREHOUSE=databricks://127.0.0.1:PPORT/spark_catalog/default?http_path=/sql/1.0/warehouses/standin&endpoint=http://127.0.0.1:PPORT
#   Fault injection for retry tests (the proxy's admin routes, on the same port, no token):
#     curl -X POST -d '{"status": 503, "count": 2}' http://127.0.0.1:PPORT/_standin/faults  # next 2 requests: 503
#     curl -X POST -d '{"status": 429, "retry_after": 1}' .../_standin/faults               # 429 + Retry-After: 1
#     curl -X POST -d '{"drop": 1}' .../_standin/faults        # close the connection without answering
#     curl -X POST -d '{"reset": 1}' .../_standin/faults       # reset the connection (RST)
#     curl -X POST -d '{"delay_ms": 2000}' .../_standin/faults # wait 2 s, then forward
#     curl -X DELETE .../_standin/faults                       # forget pending faults
#     curl .../_standin/stats    # {"forwarded": N, "faulted": N, "unauthorized": N, "forbidden": N, "pending": [...]}
#     curl -X DELETE .../_standin/stats                        # counters back to 0
#   Rules queue up; each proxied request that passed the token check uses up one count of the first rule
#   that applies to it. Append ?warehouse=ID to any admin route to scope it to requests for
#   /sql/1.0/warehouses/ID (tests running in parallel each use an ID of their own in http_path).
#
# redshift, snowflake, bigquery: each is described at the top of its own file, scripts/standin/ENGINE.sh.
#
# Exit status: 0 done; 1 failed (the log's last lines are on stderr); 2 usage; status: 3 when not running.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE_ROOT="${KITH_STANDIN_DIR:-$ROOT/.standin}"
VENV="$ROOT/.venv"
START_TIMEOUT="${KITH_STANDIN_TIMEOUT:-300}"  # seconds for a cold start to answer
ENGINES=(spark databricks redshift snowflake bigquery)

log() { echo "standin: $*" >&2; }
die() { log "$*"; exit 1; }
usage() { echo "usage: scripts/standin.sh start|stop|status ENGINE   (ENGINE: ${ENGINES[*]}; stop/status also: all)" >&2; exit 2; }

(($# == 2)) || usage
CMD=$1 ENGINE=$2
case "$CMD" in start|stop|status) ;; *) usage ;; esac
case "$ENGINE" in
  spark|databricks) ;;
  all) [[ "$CMD" != start ]] || usage
       rc=0; for e in "${ENGINES[@]}"; do "$0" "$CMD" "$e" || rc=$?; done; exit "$rc" ;;
  redshift|snowflake|bigquery) ;;
  *) usage ;;
esac

DIR="$STATE_ROOT/$ENGINE"
mkdir -p "$DIR"

# --- helpers --------------------------------------------------------------------------------------------------
# A pid from a file, when that process is alive and is ours (its command line names this engine's folder).
live_pid() {
  local file=$1 pid
  [[ -f "$file" ]] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$DIR" || return 1
  echo "$pid"
}

# During a start: is the process we just launched (its pid in $1) still alive? live_pid cannot tell yet: until
# the launching subshell has exec'd, its command line is this script's, not the engine's folder.
launched_alive() {
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# In a subshell about to exec a long-lived process: closes every descriptor above 2 (the lock's, and whatever a
# caller left open, such as the pipe a test reads our stdout from), so the process holds none of them.
close_fds() {
  local f n
  for f in /proc/$BASHPID/fd/*; do
    n=${f##*/}
    if [[ "$n" =~ ^[0-9]+$ ]] && ((n > 2)); then eval "exec $n>&-" 2>/dev/null || true; fi
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  "$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stops the process group led by the pid in $1 (each was started with setsid), waiting up to 30 s.
stop_group() {
  local file=$1 pid i
  if pid=$(live_pid "$file"); then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

ensure_venv() {
  local want
  want="$(openssl dgst -sha256 -r "$ROOT/scripts/requirements.lock" | cut -d' ' -f1)"
  if [[ -x "$VENV/bin/python" && -f "$VENV/.stamp" && "$(cut -d' ' -f1 "$VENV/.stamp")" == "$want" ]]; then
    return 0
  fi
  log "setting up .venv (scripts/setup.sh venv)"
  mkdir -p "$STATE_ROOT"
  # One setup at a time, whatever the engine (apt and pip do not like company).
  flock "$STATE_ROOT/setup.lock" "$ROOT/scripts/setup.sh" venv >&2
}

spark_home() {
  local home
  home=$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))') ||
    die "pyspark is not importable from .venv"
  [[ -x "$home/bin/spark-submit" && -n "$(compgen -G "$home/jars/spark-hive-thriftserver_*.jar")" ]] ||
    die "$home has no bin/spark-submit or Thrift server jar"
  echo "$home"
}

# Running beeline (Spark's JDBC shell from the same jars) with one query; 0 when the answer came back.
beeline_query() { # jdbc-url user password
  local out
  out=$(SPARK_CONF_DIR="$DIR/conf" timeout 120 "$SPARK_HOME/bin/beeline" -u "$1" -n "$2" -p "$3" \
          --silent=true --showHeader=false --outputformat=tsv2 -e "SELECT 'standin' || '-ready'" 2>&1) || true
  grep -q 'standin-ready' <<<"$out" && return 0
  echo "$out" | grep -v '^\s*at ' | tail -5 >&2
  return 1
}

write_spark_conf() {
  mkdir -p "$DIR/conf"
  cat > "$DIR/conf/log4j2.properties" <<'EOF'
# Quiet: warnings, plus the Thrift server's own start and stop lines.
rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.thrift.name = org.apache.spark.sql.hive.thriftserver.HiveThriftServer2
logger.thrift.level = info
logger.metastore.name = org.apache.hadoop.hive.metastore.ObjectStore
logger.metastore.level = error
EOF
  cat > "$DIR/conf/spark-defaults.conf" <<EOF
spark.master                            local[2]
spark.driver.memory                     2g
spark.ui.enabled                        false
spark.sql.session.timeZone              UTC
spark.sql.shuffle.partitions            4
spark.sql.warehouse.dir                 $DIR/warehouse
spark.local.dir                         $DIR/tmp
spark.driver.host                       127.0.0.1
spark.driver.bindAddress                127.0.0.1
spark.driver.extraJavaOptions           -Dderby.system.home=$DIR/derby -Djava.io.tmpdir=$DIR/tmp
spark.hadoop.javax.jdo.option.ConnectionURL  jdbc:derby:;databaseName=$DIR/metastore_db;create=true
spark.sql.thriftServer.incrementalCollect    true
spark.sql.timeType.enabled              true
EOF
  if [[ -n "${KITH_STANDIN_SPARK_CONF:-}" ]]; then
    tr ';' '\n' <<<"$KITH_STANDIN_SPARK_CONF" | sed -n 's/^ *\([^= ]*\) *= *\(.*\)$/\1 \2/p' >> "$DIR/conf/spark-defaults.conf"
  fi
}

# Starts HiveThriftServer2 (binary or http transport) on port $2; pid in $DIR/spark.pid.
launch_spark() { # transport port
  local transport=$1 port=$2
  local -a hive=(--hiveconf hive.server2.thrift.bind.host=127.0.0.1 --hiveconf hive.server2.authentication=NONE
                 --hiveconf "hive.server2.transport.mode=$transport")
  if [[ "$transport" == http ]]; then
    hive+=(--hiveconf "hive.server2.thrift.http.port=$port" --hiveconf hive.server2.thrift.http.path=cliservice
           --hiveconf hive.server2.thrift.http.cookie.auth.enabled=false)
  else
    hive+=(--hiveconf "hive.server2.thrift.port=$port")
  fi
  rm -rf "$DIR/metastore_db" "$DIR/warehouse" "$DIR/tmp" "$DIR/derby"
  mkdir -p "$DIR/tmp" "$DIR/derby"
  write_spark_conf
  # setsid: its own process group, so stop ends the JVM and anything it started; stdin, stdout and stderr
  # go nowhere near the caller's (a caller reading our stdout through a pipe must see it close).
  ( close_fds; cd "$DIR" && SPARK_HOME="$SPARK_HOME" SPARK_CONF_DIR="$DIR/conf" SPARK_LOCAL_IP=127.0.0.1 \
      exec setsid "$SPARK_HOME/bin/spark-submit" \
      --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 --name "kith-standin-$ENGINE" \
      --conf "spark.kith.standin.dir=$DIR" spark-internal "${hive[@]}" \
      </dev/null >>"$DIR/spark.log" 2>&1 ) {LOCK_FD}>&- &
  echo $! > "$DIR/spark.pid"
}

# Waits until the Spark JVM listens on $1; 1 if it died first or the time ran out.
wait_spark_port() { # port deadline
  local port=$1 deadline=$2 pid
  while ((SECONDS < deadline)); do
    launched_alive "$DIR/spark.pid" || { log "Spark exited during start"; return 1; }
    port_open "$port" && grep -q "HiveThriftServer2 started" "$DIR/spark.log" && return 0
    sleep 0.5
  done
  log "Spark did not listen on $port within ${START_TIMEOUT}s"
  return 1
}

# Starts Spark with retries on a port lost to someone else; sets SPARK_PORT.
start_spark() { # transport deadline
  local transport=$1 deadline=$2 attempt
  for attempt in 1 2 3; do
    SPARK_PORT=$(free_port)
    : > "$DIR/spark.log"
    log "starting Spark $(basename "$(ls "$SPARK_HOME"/jars/spark-core_*.jar)" .jar | sed 's/.*-//') ($transport transport) on 127.0.0.1:$SPARK_PORT, log $DIR/spark.log"
    launch_spark "$transport" "$SPARK_PORT"
    wait_spark_port "$SPARK_PORT" "$deadline" && return 0
    stop_group "$DIR/spark.pid"
    grep -q "Address already in use" "$DIR/spark.log" || break
  done
  tail -n 30 "$DIR/spark.log" >&2 || true
  return 1
}

start_proxy() {
  rm -f "$DIR/proxy.port"
  ( close_fds; cd "$DIR" && exec setsid "$VENV/bin/python" "$ROOT/test/support/databricks_proxy.py" \
      --port-file "$DIR/proxy.port" --token-file "$DIR/token" --spark "http://127.0.0.1:$SPARK_PORT/cliservice" \
      </dev/null >>"$DIR/proxy.log" 2>&1 ) {LOCK_FD}>&- &
  echo $! > "$DIR/proxy.pid"
  local i
  for ((i = 0; i < 100; i++)); do
    [[ -s "$DIR/proxy.port" ]] && { PROXY_PORT=$(cat "$DIR/proxy.port"); return 0; }
    launched_alive "$DIR/proxy.pid" || break
    sleep 0.1
  done
  tail -n 20 "$DIR/proxy.log" >&2 || true
  return 1
}

# The engines other than Spark each have a file scripts/standin/ENGINE.sh defining engine_running (0 when
# everything of it is up), engine_stop, engine_start DEADLINE (starts it; sets env_lines, the `export` lines)
# and engine_pid (for status). They may use every helper above and $DIR, $ROOT, $VENV, $ENGINE.
if [[ -f "$ROOT/scripts/standin/$ENGINE.sh" ]]; then
  # shellcheck source=/dev/null
  source "$ROOT/scripts/standin/$ENGINE.sh"
fi

# Is everything of the engine up (processes ours and alive, ports open)?
running() {
  if declare -F engine_running >/dev/null; then engine_running; return; fi
  [[ -f "$DIR/env" && -f "$DIR/port" ]] || return 1
  live_pid "$DIR/spark.pid" >/dev/null || return 1
  port_open "$(cat "$DIR/port")" || return 1
  if [[ "$ENGINE" == databricks ]]; then
    live_pid "$DIR/proxy.pid" >/dev/null || return 1
    port_open "$(cat "$DIR/proxy.port")" || return 1
  fi
}

stop_engine() {
  if declare -F engine_stop >/dev/null; then engine_stop; rm -f "$DIR/env"; return; fi
  stop_group "$DIR/proxy.pid"
  stop_group "$DIR/spark.pid"
  rm -f "$DIR/env" "$DIR/port" "$DIR/proxy.port"
}

# --- commands -------------------------------------------------------------------------------------------------
exec {LOCK_FD}>"$STATE_ROOT/$ENGINE.lock"
case "$CMD" in
  status)
    flock -s "$LOCK_FD"
    if running; then
      if declare -F engine_pid >/dev/null; then
        echo "$ENGINE: running, pid $(engine_pid); $(tail -n 1 "$DIR/env")"
      else
        echo "$ENGINE: running, spark pid $(cat "$DIR/spark.pid"); $(tail -n 1 "$DIR/env")"
      fi
      exit 0
    fi
    echo "$ENGINE: not running"
    exit 3 ;;
  stop)
    flock "$LOCK_FD"
    if running || live_pid "$DIR/spark.pid" >/dev/null || live_pid "$DIR/proxy.pid" >/dev/null; then
      log "stopping $ENGINE"
    fi
    stop_engine
    exit 0 ;;
esac

# start
flock "$LOCK_FD"
if running; then
  cat "$DIR/env"
  exit 0
fi
ensure_venv
stop_engine  # whatever a crashed start left
t0=$SECONDS
deadline=$((SECONDS + START_TIMEOUT))
case "$ENGINE" in
  redshift|snowflake|bigquery)
    declare -F engine_start >/dev/null || die "$ENGINE: scripts/standin/$ENGINE.sh is missing"
    engine_start "$deadline" || { stop_engine; die "$ENGINE: the stand-in did not start"; }
    ;;
  spark)
    command -v java >/dev/null || die "java is not on PATH (scripts/setup.sh installs openjdk-17-jre-headless)"
    SPARK_HOME=$(spark_home)
    start_spark binary "$deadline" || { stop_engine; die "spark: the Thrift server did not start"; }
    beeline_query "jdbc:hive2://127.0.0.1:$SPARK_PORT/default" kith "" ||
      { tail -n 30 "$DIR/spark.log" >&2; stop_engine; die "spark: the Thrift server does not answer a query"; }
    echo "$SPARK_PORT" > "$DIR/port"
    env_lines="export KITH_WAREHOUSE=spark://127.0.0.1:$SPARK_PORT/default"
    ;;
  databricks)
    command -v java >/dev/null || die "java is not on PATH (scripts/setup.sh installs openjdk-17-jre-headless)"
    SPARK_HOME=$(spark_home)
    (umask 077 && echo "dapi$(openssl rand -hex 16)" > "$DIR/token")
    start_spark http "$deadline" || { stop_engine; die "databricks: the Thrift server did not start"; }
    start_proxy || { stop_engine; die "databricks: the proxy did not start"; }
    # A real query through the proxy, authenticated the JDBC driver's way (user "token", password the PAT).
    beeline_query "jdbc:hive2://127.0.0.1:$PROXY_PORT/default;transportMode=http;httpPath=sql/1.0/warehouses/standin" \
      token "$(cat "$DIR/token")" ||
      { tail -n 30 "$DIR/spark.log" "$DIR/proxy.log" >&2; stop_engine; die "databricks: no answer through the proxy"; }
    "$VENV/bin/python" -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], method="DELETE"), timeout=10)' \
      "http://127.0.0.1:$PROXY_PORT/_standin/stats" >&2 || true
    echo "$SPARK_PORT" > "$DIR/port"
    env_lines="export DATABRICKS_TOKEN=$(cat "$DIR/token")
export KITH_WAREHOUSE='databricks://127.0.0.1:$PROXY_PORT/spark_catalog/default?http_path=/sql/1.0/warehouses/standin&endpoint=http://127.0.0.1:$PROXY_PORT'"
    ;;
esac
printf '%s\n' "$env_lines" > "$DIR/env.tmp" && mv "$DIR/env.tmp" "$DIR/env"
log "$ENGINE ready in $((SECONDS - t0))s"
cat "$DIR/env"
