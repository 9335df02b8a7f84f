#!/usr/bin/env bash
# Golden vectors from the real MIG (conformance/README.md explains them).
#
#   bash conformance/generate.sh           rewrite test/fixtures/mig/*.json
#   bash conformance/generate.sh --check   regenerate into a temp dir and
#                                          compare with the committed fixtures
#
# Needs gcc with gcc-multilib (gcc -m32, /lib/ld-linux.so.2 for the i386
# migcom), qemu-user where the kernel cannot run i386 programs, and node;
# fetches Debian 13's MIG and gnumach-dev through tools/debian13-fetch.sh
# (a private apt configuration; cached).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKG="$(dirname "$HERE")"
ROOT="$(cd "$PKG/../.." && pwd)"
FIXTURES="$PKG/test/fixtures/mig"

mode=write
case "${1:-}" in
  --check) mode=check ;;
  '') ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

die() { echo "conformance: $*" >&2; exit 1; }

# ---- prerequisites ---------------------------------------------------------
command -v gcc >/dev/null || die "gcc not found: install it with 'apt-get install gcc gcc-multilib'"
command -v node >/dev/null || die "node not found (Node.js >= 20 is needed to write the JSON fixtures)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/mig-conformance.XXXXXX")"
[ -n "${CONFORMANCE_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
# gcc-multilib gives gcc -m32 (/usr/lib/gcc/x86_64-linux-gnu/*/32) and the
# i386 loader the i686 migcom needs; try it rather than guess from paths.
if ! printf 'int main(void){return 0;}\n' | gcc -m32 -x c - -o "$WORK/m32" 2>/dev/null; then
  die "gcc -m32 does not work: install 'gcc-multilib' (apt-get install gcc-multilib)"
fi
[ -e /lib/ld-linux.so.2 ] || die "/lib/ld-linux.so.2 is missing (the i386 MIG needs it): apt-get install gcc-multilib"
# The i386 harnesses run natively where the kernel runs 32-bit programs,
# else under qemu-user (tools/i386-emulator.sh explains when).
EMU32="$(bash "$ROOT/tools/i386-emulator.sh")" || die "cannot run the i386 harnesses (see above)"

CACHE="$(bash "$ROOT/tools/debian13-fetch.sh")" || die "tools/debian13-fetch.sh failed"
MIG_VERSION="$(CC=gcc "$CACHE/root-mig-x86-64-gnu-amd64/usr/bin/x86_64-gnu-mig" --version | awk '{print $NF}')"
GNUMACH_VERSION="$(dpkg-deb -f "$(ls -t "$CACHE"/debs/gnumach-dev_*_amd64.deb | head -1)" Version 2>/dev/null || echo unknown)"

abi_setup() {
  case "$1" in
    x86_64)
      MIG="$CACHE/root-mig-x86-64-gnu-amd64/usr/bin/x86_64-gnu-mig"
      INC="$CACHE/root-gnumach-dev-amd64/usr/include/x86_64-linux-gnu"
      CCABI="gcc"; RUN="" ;;
    i386)
      MIG="$CACHE/root-mig-i686-gnu-i386/usr/bin/i686-gnu-mig"
      INC="$CACHE/root-gnumach-dev-i386/usr/include/i386-linux-gnu"
      # -m32 so that the preprocessor does not define __x86_64__, which
      # machine_types.defs tests (mach-abi.md §1).
      CCABI="gcc -m32"; RUN="$EMU32" ;;
  esac
  [ -x "$MIG" ] || die "MIG not found at $MIG"
  [ -d "$INC/mach" ] || die "gnumach-dev headers not found at $INC"
}

# interface | .defs (relative to the include dir, or to conformance/defs) | server demux
INTERFACES=(
  "conformance|@conformance.defs|srv_conformance_server"
  "notify|mach/notify.defs|srv_notify_server"
  "memory_object|mach/memory_object.defs|srv_memory_object_server"
  "mach_port|mach/mach_port.defs|srv_mach_port_server"
  "mach|mach/mach.defs|srv_mach_server"
)

OUT="$WORK/fixtures"
mkdir -p "$OUT"
for entry in "${INTERFACES[@]}"; do
  IFS='|' read -r iface defs demux <<<"$entry"
  for abi in i386 x86_64; do
    abi_setup "$abi"
    b="$WORK/build/$iface.$abi"
    mkdir -p "$b"
    if [ "${defs:0:1}" = @ ]; then
      defsfile="$HERE/defs/${defs:1}"
      source="packages/mach-msg/conformance/defs/${defs:1}"
    else
      defsfile="$INC/$defs"
      source="gnumach-dev $GNUMACH_VERSION $defs"
    fi
    # User stubs under the routine names, server stubs calling srv_<name>,
    # so that both link into one program (mach-abi.md §10).
    (cd "$b" && CC="$CCABI" "$MIG" -I"$INC" -I"$HERE/harness" \
        -user "${iface}User.c" -header "${iface}_user.h" -server /dev/null "$defsfile" \
      && CC="$CCABI" "$MIG" -I"$INC" -I"$HERE/harness" -prefix srv_ \
        -server "${iface}Server.c" -sheader /dev/null -user /dev/null -header /dev/null "$defsfile") \
      || die "MIG failed on $defs for $abi"
    # -ftrivial-auto-var-init=zero makes the bytes MIG leaves uninitialised
    # (padding, x86_64 port high halves) zero, hence reproducible.
    $CCABI -O1 -ftrivial-auto-var-init=zero -w \
      -I"$HERE/harness/include" -I"$HERE/harness" -I"$INC" -I"$b" \
      -DMIG_EOPNOTSUPP=-1 -DHARNESS_DEMUX="$demux" \
      "$b/${iface}User.c" "$b/${iface}Server.c" \
      "$HERE/harness/fake_kernel.c" "$HERE/harness/drive_${iface}.c" \
      -o "$b/drive" || die "compiling the $iface harness for $abi failed"
    $RUN "$b/drive" > "$b/lines" || die "the $iface harness for $abi failed"
    node "$HERE/scripts/to-json.mjs" "$iface" "$abi" "$source (MIG $MIG_VERSION)" \
      < "$b/lines" > "$OUT/$iface.$abi.json"
  done
done

node "$HERE/scripts/compare.mjs" "$mode" "$OUT" "$FIXTURES"
