#!/usr/bin/env bash
# Makes the pgvector extension available to the PostgreSQL server that DATABASE_URL names. pgvector is not
# packaged for Debian bookworm, so on a local server it is built from Debian's own source package of the newer
# suite (a deb-src entry reusing the mirror already configured), against postgresql-server-dev-<major>.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

host="$(db_field host)"; port="$(db_field port)"; user="$(db_field user)"
psql_q() { psql -X -h "$host" -p "$port" -U "$user" -d postgres -tAc "$1"; }

available() { [ "$(psql_q "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'" 2>/dev/null)" = "1" ]; }
if available; then exit 0; fi

is_local_host "$host" || fail "the vector extension is not available on $host:$port; install pgvector on that server (or use an image with it, e.g. pgvector/pgvector)"
is_root || fail "the vector extension is not installed; run this script as root to build it, or install pgvector for PostgreSQL yourself"

major="$(psql_q 'SHOW server_version_num' | cut -c1-2)"
pg_config="/usr/lib/postgresql/$major/bin/pg_config"
say "pgvector missing: building it from Debian's source package for PostgreSQL $major"
# pg_config ships with the client package; the server headers (postgres.h) come only with postgresql-server-dev.
if [ ! -x "$pg_config" ] || [ ! -f "$("$pg_config" --includedir-server 2>/dev/null)/postgres.h" ]; then
  apt_install "postgresql-server-dev-$major"
fi
command -v dpkg-source >/dev/null || apt_install dpkg-dev
command -v make >/dev/null && command -v gcc >/dev/null || apt_install build-essential

# A deb-src entry for Debian's newer suite, on the mirror the machine already uses, for source packages only.
src_list=/etc/apt/sources.list.d/rag-pgvector-src.sources
if [ ! -f "$src_list" ]; then
  mirror="$(grep -h -m1 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)"
  [ -n "$mirror" ] || mirror="$(grep -h -m1 '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' || true)"
  [ -n "$mirror" ] || fail "could not find the Debian mirror in the apt sources; add a deb-src line for trixie yourself"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  say "adding deb-src for trixie on $mirror ($src_list)"
  printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$mirror" "$keyring" > "$src_list"
  apt_updated=""
fi
if [ -z "$apt_updated" ]; then
  say "apt-get update"
  apt-get update -qq >/dev/null || fail "apt-get update failed"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
say "fetching the pgvector source package"
(cd "$work" && apt-get source -qq --download-only pgvector >/dev/null 2>&1) || fail "apt-get source pgvector failed (is the deb-src entry reachable?)"
(cd "$work" && dpkg-source -x --skip-patches pgvector_*.dsc src >/dev/null) || fail "could not unpack the pgvector source"
say "building pgvector (make && make install)"
(cd "$work/src" && make -s -j"$(nproc)" OPTFLAGS="" PG_CONFIG="$pg_config" >/dev/null && make -s install PG_CONFIG="$pg_config" >/dev/null) ||
  fail "building pgvector failed; see the output of make in $work/src"
available || fail "pgvector was built but the server still does not list it; restart PostgreSQL and retry"
say "pgvector $(psql_q "SELECT default_version FROM pg_available_extensions WHERE name = 'vector'") installed"
