#!/usr/bin/env bash
# npm run up: set-up, migrate, ingest the sample corpus into an empty database, then run one gateway and
# WORKERS (default 2) workers in the foreground. Ctrl-C stops everything cleanly.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
bash scripts/setup.sh
export PATH="$ROOT/.tools/node/bin:$PATH"

say "migrating $(db_field db)"
node apps/cli/src/migrate.ts
host="$(db_field host)"; port="$(db_field port)"; user="$(db_field user)"; db="$(db_field db)"
docs="$(psql -X -h "$host" -p "$port" -U "$user" -d "$db" -tAc 'SELECT count(*) FROM documents')"
if [ "$docs" = "0" ]; then
  say "empty database: ingesting the sample corpus (data/sample)"
  node apps/cli/src/ingest.ts data/sample
fi

# The dashboard out of the box: without ADMIN_USER/ADMIN_PASSWORD, credentials are generated once into .run/admin.env
# (kept for later runs, readable by this user only) and shown once, and the gateway listens on loopback only.
admin_note=""
if [ -z "${ADMIN_USER:-}" ] && [ -z "${ADMIN_PASSWORD:-}" ]; then
  creds="$ROOT/.run/admin.env"
  if [ ! -f "$creds" ]; then
    mkdir -p "$ROOT/.run"
    ( umask 077; printf 'ADMIN_USER=admin\nADMIN_PASSWORD=%s\n' \
      "$(node -e 'process.stdout.write(require("node:crypto").randomBytes(18).toString("base64url"))')" > "$creds" )
    admin_note="new credentials: $(tr '\n' ' ' < "$creds")(kept in .run/admin.env; shown this once)"
  else
    admin_note="credentials in .run/admin.env"
  fi
  set -a; source "$creds"; set +a
  export HOST="${HOST:-127.0.0.1}"
fi

pids=()
stop() {
  trap - INT TERM
  say "stopping (workers finish or hand back their asks)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
  exit "${1:-0}"
}
trap 'stop 0' INT TERM

workers="${WORKERS:-2}"
for i in $(seq 1 "$workers"); do
  METRICS_PORT="$((${METRICS_PORT:-9464} + i - 1))" node apps/worker/src/main.ts &
  pids+=($!)
done
node apps/gateway/src/main.ts &
pids+=($!)

port="${PORT:-8000}"
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
cat <<MSG

  Page        http://127.0.0.1:$port/            (ask from the browser)
  API docs    http://127.0.0.1:$port/docs        (OpenAPI: http://127.0.0.1:$port/openapi.json)
  Gateway     http://127.0.0.1:$port/v1/ask
  Readiness   http://127.0.0.1:$port/readyz
  Metrics     http://127.0.0.1:$port/metrics   (workers: http://127.0.0.1:${METRICS_PORT:-9464}/metrics ...)
  Monitoring  http://127.0.0.1:$port/monitoring/pool-status
  Dashboard   http://127.0.0.1:$port/admin/queues   ${admin_note:-(ADMIN_USER from your environment)}

  Try:  curl -s -XPOST localhost:$port/v1/ask -H 'content-type: application/json' -H 'Prefer: wait=20' -d '{"question":"nhà thầu"}'
  Upload a document (PDF, DOCX, HTML, Markdown, text), then ask about it in its collection:
        curl -s -F file=@report.pdf -F collection=mine localhost:$port/v1/documents
        curl -s -XPOST localhost:$port/v1/ask -H 'content-type: application/json' -H 'Prefer: wait=20' -d '{"question":"...","collection":"mine"}'

  $workers workers running; Ctrl-C stops everything.
MSG

# If any process dies, stop the others and fail.
set +e
wait -n
code=$?
say "a process exited ($code); stopping the others"
stop 1
