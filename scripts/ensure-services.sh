#!/usr/bin/env bash
# Makes sure Redis and PostgreSQL (with pgvector) are reachable: the ones REDIS_URL / DATABASE_URL name, else local
# ones, started when installed but stopped, installed from Debian's packages when missing (as root).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wait_for() { # description, command...
  local what="$1"; shift
  for _ in $(seq 1 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# --- Redis
redis_host="$(node -e 'const u=new URL(process.argv[1]); process.stdout.write(u.hostname)' "$REDIS_URL")"
redis_port="$(node -e 'const u=new URL(process.argv[1]); process.stdout.write(u.port||"6379")' "$REDIS_URL")"
redis_ping() { node -e '
  const s = require("net").connect(+process.argv[2], process.argv[1]);
  s.setTimeout(1000, () => process.exit(1));
  s.on("error", () => process.exit(1));
  s.on("connect", () => s.write("PING\r\n"));
  s.on("data", (d) => process.exit(/PONG|NOAUTH/.test(String(d)) ? 0 : 1));' "$redis_host" "$redis_port"; }
if ! redis_ping; then
  is_local_host "$redis_host" || fail "Redis at $REDIS_URL is not reachable; start it or fix REDIS_URL"
  command -v redis-server >/dev/null || apt_install redis-server
  say "starting a local Redis on port $redis_port (no persistence: development only)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --maxmemory-policy noeviction >/dev/null ||
    fail "could not start redis-server"
  wait_for "Redis" redis_ping || fail "Redis did not answer on port $redis_port"
fi

# --- PostgreSQL
host="$(db_field host)"; port="$(db_field port)"; user="$(db_field user)"; db="$(db_field db)"
command -v psql >/dev/null || { is_local_host "$host" && apt_install postgresql-client; } || fail "psql is needed (apt-get install postgresql-client)"
pg_ready() { pg_isready -q -h "$host" -p "$port"; }
if ! pg_ready; then
  is_local_host "$host" || fail "PostgreSQL at $host:$port is not reachable; start it or fix DATABASE_URL"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt_install postgresql; fi
  ver="$(ls /etc/postgresql | sort -V | tail -n1)"
  say "starting the local PostgreSQL $ver cluster"
  pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
  wait_for "PostgreSQL" pg_ready || fail "PostgreSQL did not start on $host:$port (see /var/log/postgresql)"
fi
psql -X -h "$host" -p "$port" -U "$user" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1 ||
  fail "cannot log in to PostgreSQL as $user at $host:$port; fix DATABASE_URL or pg_hba.conf"

bash "$ROOT/scripts/ensure-pgvector.sh"

if [ "$(psql -X -h "$host" -p "$port" -U "$user" -d postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = '$db'")" != "1" ]; then
  say "creating database $db"
  psql -X -q -h "$host" -p "$port" -U "$user" -d postgres -c "CREATE DATABASE \"$db\"" || fail "could not create database $db"
fi
