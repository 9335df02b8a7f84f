#!/usr/bin/env bash
# Builds the C side of the benchmark from the real MIG's x86_64 stubs for
# conformance/defs/conformance.defs, and prints the binary's path.
# Needs gcc; fetches Debian 13's MIG through tools/debian13-fetch.sh.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKG="$(dirname "$HERE")"
ROOT="$(cd "$PKG/../.." && pwd)"
command -v gcc >/dev/null || { echo "bench: gcc not found (apt-get install gcc)" >&2; exit 1; }
CACHE="$(bash "$ROOT/tools/debian13-fetch.sh")"
MIG="$CACHE/root-mig-x86-64-gnu-amd64/usr/bin/x86_64-gnu-mig"
INC="$CACHE/root-gnumach-dev-amd64/usr/include/x86_64-linux-gnu"
OUT="${XDG_CACHE_HOME:-$HOME/.cache}/hurd-cluster/mach-msg-bench"
mkdir -p "$OUT"
DEFS="$PKG/conformance/defs/conformance.defs"
H="$PKG/conformance/harness"
(cd "$OUT" && CC=gcc "$MIG" -I"$INC" -user conformanceUser.c -header conformance_user.h -server /dev/null "$DEFS" \
  && CC=gcc "$MIG" -I"$INC" -prefix srv_ -server conformanceServer.c -sheader /dev/null -user /dev/null -header /dev/null "$DEFS") >&2
# -O2 as distributions build MIG stubs; no auto-var-init here (production).
gcc -O2 -w -I"$H/include" -I"$H" -I"$INC" -I"$OUT" -DMIG_EOPNOTSUPP=-1 \
  "$OUT/conformanceUser.c" "$OUT/conformanceServer.c" "$HERE/c/bench.c" -o "$OUT/mig-bench" >&2
echo "$OUT/mig-bench"
