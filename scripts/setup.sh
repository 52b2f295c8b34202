#!/usr/bin/env bash
# Idempotent set-up used by `npm run up` and `npm test`: Node 22, dependencies, Redis, PostgreSQL + pgvector.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/ensure-node.sh
export PATH="$ROOT/.tools/node/bin:$PATH"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ]; then
  if [ "${CI:-}" = "true" ] && [ -f package-lock.json ]; then
    say "installing dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  else
    say "installing dependencies (npm install)"
    npm install --no-audit --no-fund --loglevel=error
  fi
fi
bash scripts/ensure-services.sh
say "building the web page (apps/gateway/web -> dist)"
node scripts/build-web.ts || fail "building the web page failed (scripts/build-web.ts)"
bash scripts/ensure-scale-tools.sh
