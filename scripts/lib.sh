# Shared helpers of the set-up scripts (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT

say()  { printf '\033[1m==>\033[0m %s\n' "$*"; }
fail() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# Node 22 first on PATH when the project has its own copy.
if [ -x "$ROOT/.tools/node/bin/node" ]; then export PATH="$ROOT/.tools/node/bin:$PATH"; fi

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rag}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export DATABASE_URL REDIS_URL

# Pieces of DATABASE_URL (postgres://user[:pass]@host[:port]/db).
db_field() {
  node -e '
    const u = new URL(process.argv[1]);
    const f = { host: u.hostname, port: u.port || "5432", user: decodeURIComponent(u.username || "postgres"), db: u.pathname.slice(1) || "postgres" };
    process.stdout.write(String(f[process.argv[2]]));' "$DATABASE_URL" "$1"
}
is_local_host() { case "$1" in 127.0.0.1|localhost|::1|"") return 0 ;; *) return 1 ;; esac; }

apt_updated=""
apt_install() {
  is_root || fail "missing packages: $*; install them (apt-get install $*) or run this script as root"
  if [ -z "$apt_updated" ]; then
    say "apt-get update"
    apt-get update -qq >/dev/null || fail "apt-get update failed; check the machine's apt sources"
    apt_updated=1
  fi
  say "installing $* from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || fail "apt-get install $* failed"
}
