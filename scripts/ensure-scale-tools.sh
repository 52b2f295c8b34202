#!/usr/bin/env bash
# The programs test/scale starts on loopback ports of its own: redis-server + redis-cli (a Redis Cluster),
# pgbouncer (transaction pooling), and PostgreSQL's server binaries (initdb, pg_ctl, pg_basebackup: a primary and a
# streaming replica). Installed from Debian's packages when missing (as root); the tests fail loudly without them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
if [ -z "$(pg_bin)" ] || [ ! -x "$(pg_bin)/initdb" ] || [ ! -x "$(pg_bin)/pg_basebackup" ]; then missing+=(postgresql); fi
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
  # Debian's pgbouncer package starts a system service on 6432; the tests run their own on free ports.
  if [[ " ${missing[*]} " == *" pgbouncer "* ]] && command -v systemctl >/dev/null; then
    systemctl disable --now pgbouncer >/dev/null 2>&1 || true
  fi
fi
