#!/usr/bin/env bash
# Makes Debian's chromium available for the browser tests (test/web), which drive it with playwright-core.
# Never a browser downloaded by Playwright: the distribution's package, installed like the other services.
# When it cannot be installed (not root, no apt), this says so and returns 0: the browser tests then fail with
# the same message rather than being skipped.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin=/usr/bin/chromium
if [ -x "$bin" ]; then exit 0; fi
if ! is_root || ! command -v apt-get >/dev/null; then
  printf '\033[33mwarning:\033[0m %s\n' "chromium is missing and cannot be installed here (needs root and apt-get): the browser tests (test/web) will fail; install Debian's chromium package" >&2
  exit 0
fi
apt_install chromium
[ -x "$bin" ] || fail "chromium was installed but $bin is missing"
say "$("$bin" --version 2>/dev/null | head -n1)"
