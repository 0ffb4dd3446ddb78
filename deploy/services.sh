#!/usr/bin/env bash
# Starts, stops and reports the local PostgreSQL 15 and Redis 7 that esxbackup's director and tests use.
#
#   services.sh start|stop|status|env [--state-dir DIR] [--throwaway] [--pg-port N] [--redis-port N]
#
# Servers live under the state directory (default ./.esxbackup, or $ESXBACKUP_STATE_DIR), on non-default
# loopback ports (55432, 56379), so they never collide with a system PostgreSQL or Redis. `start` is
# idempotent: servers already running are left alone. `--throwaway` is for tests: no fsync, no Redis
# persistence. Without it Redis keeps an append-only file and PostgreSQL runs with its normal durability.
# Missing packages are installed when run as root (deploy/install-packages.sh). Users with their own servers
# skip this script and set DATABASE_URL / REDIS_URL.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

verb=${1:-}
[ -n "$verb" ] || usage
shift
state_dir=${ESXBACKUP_STATE_DIR:-./.esxbackup}
throwaway=0
pg_port=55432
redis_port=56379
while [ $# -gt 0 ]; do
  case $1 in
    --state-dir) state_dir=${2:?--state-dir needs a directory}; shift 2 ;;
    --throwaway) throwaway=1; shift ;;
    --pg-port) pg_port=${2:?--pg-port needs a number}; shift 2 ;;
    --redis-port) redis_port=${2:?--redis-port needs a number}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "services.sh: unknown argument '$1'" >&2; usage ;;
  esac
done
for port in "$pg_port" "$redis_port"; do
  [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || {
    echo "services.sh: port '$port' must be a number from 1024 to 65535" >&2
    exit 2
  }
done

mkdir -p "$state_dir"
state_dir=$(cd "$state_dir" && pwd)
pg_dir=$state_dir/postgres
redis_dir=$state_dir/redis
pg_bin=/usr/lib/postgresql/15/bin
database_url="postgres://postgres@127.0.0.1:$pg_port/esxbackup"
redis_url="redis://127.0.0.1:$redis_port"

is_root() { [ "$(id -u)" -eq 0 ]; }
# initdb refuses to run as root: as root the cluster belongs to the postgres system user.
as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_running() { [ -f "$pg_dir/data/PG_VERSION" ] && as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" status >/dev/null 2>&1; }
redis_running() { redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null | grep -q PONG; }

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_postgres() {
  if pg_running; then return; fi
  if port_taken "$pg_port"; then
    echo "services.sh: port $pg_port is already in use by another program; choose another with --pg-port" >&2
    exit 1
  fi
  mkdir -p "$pg_dir"
  if is_root; then
    chmod 755 "$state_dir"
    chown postgres:postgres "$pg_dir"
  fi
  if [ ! -f "$pg_dir/data/PG_VERSION" ]; then
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 || {
      echo "services.sh: initdb failed; see $pg_dir/initdb.log" >&2
      exit 1
    }
  fi
  local options="-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1"
  [ "$throwaway" -eq 1 ] && options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 -o "$options" start >/dev/null || {
    echo "services.sh: PostgreSQL did not start; see $pg_dir/server.log" >&2
    exit 1
  }
  if ! as_pg psql -h "$pg_dir" -p "$pg_port" -U postgres -Atc "select 1 from pg_database where datname = 'esxbackup'" postgres | grep -q 1; then
    as_pg psql -h "$pg_dir" -p "$pg_port" -U postgres -qc "create database esxbackup" postgres
  fi
}

start_redis() {
  if redis_running; then return; fi
  if port_taken "$redis_port"; then
    echo "services.sh: port $redis_port is already in use by another program; choose another with --redis-port" >&2
    exit 1
  fi
  mkdir -p "$redis_dir"
  local persistence=(--appendonly yes --appendfsync everysec)
  [ "$throwaway" -eq 1 ] && persistence=(--save '' --appendonly no)
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$redis_dir" "${persistence[@]}" \
    --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/server.log" >/dev/null
  # --daemonize returns before the server listens: poll for its answer, at most 10 s.
  for _ in $(seq 1 200); do
    redis_running && return
    sleep 0.05
  done
  echo "services.sh: Redis did not start; see $redis_dir/server.log" >&2
  exit 1
}

stop_all() {
  if pg_running; then as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null; fi
  if redis_running; then redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true; fi
}

print_status() {
  if pg_running; then echo "postgres running  DATABASE_URL=$database_url"; else echo "postgres stopped"; fi
  if redis_running; then echo "redis    running  REDIS_URL=$redis_url"; else echo "redis    stopped"; fi
}

case $verb in
  start)
    bash "$here/install-packages.sh" services
    start_postgres
    start_redis
    print_status
    ;;
  stop)
    stop_all
    print_status
    ;;
  status)
    print_status
    pg_running && redis_running
    ;;
  env)
    echo "export DATABASE_URL=$database_url"
    echo "export REDIS_URL=$redis_url"
    ;;
  *)
    echo "services.sh: unknown verb '$verb'" >&2
    usage
    ;;
esac
