#!/usr/bin/env bash
# Fetch Debian 13 (trixie) packages that Debian 12 lacks -- the real MIG for
# i386 and x86_64, gnumach-dev headers and .defs, and the GNU Mach kernels --
# through a private APT configuration, so the system's own apt state is never
# touched. Unpacks each package into $CACHE/root-<pkg> and prints nothing else
# on success but the cache path.
#
# Why trixie: bookworm's gnumach-dev/mig (git 2022-12) still carry the old,
# pre-release x86_64 ABI (4-byte type descriptors, 40-byte notifications).
#
# Usage: tools/debian13-fetch.sh [pkg ...]   (default: the MIG set)
# Env:   DEBIAN13_CACHE (default: $XDG_CACHE_HOME/hurd-cluster/debian13)
set -euo pipefail
TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

CACHE="${DEBIAN13_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hurd-cluster/debian13}"
MIRROR="${DEBIAN13_MIRROR:-http://deb.debian.org/debian}"
PKGS=("$@")
if [ ${#PKGS[@]} -eq 0 ]; then
  PKGS=(gnumach-dev:amd64 gnumach-dev:i386 mig-x86-64-gnu:amd64 mig-i686-gnu:i386 gnumach-common)
fi

mkdir -p "$CACHE"/{etc,lists/partial,archives/partial,debs}
touch "$CACHE/status"
cat > "$CACHE/etc/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main
SRC
cat > "$CACHE/etc/apt.conf" <<CONF
Dir::Etc::SourceList "$CACHE/etc/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::State::Lists "$CACHE/lists";
Dir::State::Status "$CACHE/status";
Dir::Cache "$CACHE";
Dir::Cache::Archives "$CACHE/archives";
APT::Architectures { "amd64"; "i386"; };
APT::Get::AllowUnauthenticated "false";
APT::Sandbox::User "root";
CONF
export APT_CONFIG="$CACHE/etc/apt.conf"

# Refresh the index at most once a day.
if [ -z "$(find "$CACHE/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)" ]; then
  apt-get -qq update >&2
fi

cd "$CACHE/debs"
for p in "${PKGS[@]}"; do
  name="${p%%:*}"
  arch="*"; [ "$name" != "$p" ] && arch="${p#*:}"
  if ! ls "$CACHE/debs/${name}_"*_${arch}.deb >/dev/null 2>&1; then
    apt-get -qq download "$p" >&2
  fi
  deb=$(ls -t "$CACHE/debs/${name}_"*_${arch}.deb | head -1)
  dest="$CACHE/root-${p//:/-}"
  if [ ! -e "$dest/.done" ]; then
    rm -rf "$dest"; mkdir -p "$dest"
    dpkg-deb -x "$deb" "$dest"
    touch "$dest/.done"
  fi
done
# The i686 migcom is an i386 program. Keep the package's binary as
# i686-gnu-migcom.i386 and put a short script in its place that runs it the
# way this host can (natively, or under qemu-user: tools/i386-emulator.sh
# says which). The script is checked on every fetch, so a cache carried to
# another host follows that host; i686-gnu-mig finds it by its usual name.
# Every step leaves a working i686-gnu-migcom behind (a hard link, then an
# atomic rename), because test files fetch concurrently.
migdir="$CACHE/root-mig-i686-gnu-i386/usr/lib/mig"
if [ -e "$migdir/i686-gnu-migcom" ]; then
  [ -e "$migdir/i686-gnu-migcom.i386" ] || ln "$migdir/i686-gnu-migcom" "$migdir/i686-gnu-migcom.i386" 2>/dev/null \
    || [ -e "$migdir/i686-gnu-migcom.i386" ]
  if emu="$(bash "$TOOLS/i386-emulator.sh" 2>&1)"; then
    run="exec ${emu:+$emu }\"\$0.i386\" \"\$@\""
  else
    run="echo 'i686-gnu-migcom: ${emu//\'/}' >&2; exit 126"
  fi
  wrapper="$(printf '#!/bin/sh\n# Written by tools/debian13-fetch.sh (see tools/i386-emulator.sh).\n%s\n' "$run")"
  if [ "$(head -c 2 "$migdir/i686-gnu-migcom")" != '#!' ] || [ "$(cat "$migdir/i686-gnu-migcom")" != "$wrapper" ]; then
    tmp="$(mktemp "$migdir/.migcom.XXXXXX")"
    printf '%s\n' "$wrapper" > "$tmp"
    chmod 755 "$tmp"
    mv -f "$tmp" "$migdir/i686-gnu-migcom"
  fi
fi

echo "$CACHE"
