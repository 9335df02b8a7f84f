#!/bin/bash
# Builds the real-kernel task images for both ABIs.
#   build.sh OUTDIR BUNDLE_I386 BUNDLE_X86_64   the scenario interpreter (task-ABI.elf) and the agent
#   build.sh OUTDIR agent                       only the live agent (agent-ABI.elf)
# Generates MIG user stubs from Debian 13's gnumach-dev .defs and from the
# project's own io/fs declarations (mach-msg) with the real MIG (nothing
# generated is committed), compiles the freestanding interpreter
# and agent (both on the shared step executor c/steps.c), links each ABI's
# images, and prepares the kernels (gunzip; the x86_64 one converted to elf32
# for QEMU's multiboot).
set -euo pipefail
OUT=$1
AGENT_ONLY=0
if [ "${2:-}" = agent ]; then AGENT_ONLY=1; else B32=$(realpath "$2"); B64=$(realpath "$3"); fi
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=$(bash "$HERE/../../../tools/debian13-fetch.sh" gnumach-image-1.8-486-up:i386 gnumach-image-1.8-amd64-up:amd64 \
  gnumach-dev:amd64 gnumach-dev:i386 mig-x86-64-gnu:amd64 mig-i686-gnu:i386 | tail -1)
mkdir -p "$OUT"; OUT=$(realpath "$OUT")
DEFS=$OUT/defs
node "$HERE/write-defs.mjs" "$DEFS" io fs

build_abi() {
  local abi=$1 inc mig cc ccflags ldflags bundle
  if [ "$abi" = i386 ]; then
    inc=$CACHE/root-gnumach-dev-i386/usr/include/i386-linux-gnu
    mig=$CACHE/root-mig-i686-gnu-i386/usr/bin/i686-gnu-mig
    cc="gcc -m32"; ldflags="-m32 -Wl,-Ttext-segment=0x08048000"; bundle=${B32:-}
  else
    inc=$CACHE/root-gnumach-dev-amd64/usr/include/x86_64-linux-gnu
    mig=$CACHE/root-mig-x86-64-gnu-amd64/usr/bin/x86_64-gnu-mig
    cc="gcc -m64"; ldflags="-m64 -Wl,-Ttext-segment=0x400000"; bundle=${B64:-}
  fi
  local d=$OUT/$abi; mkdir -p "$d"
  for defs in mach/mach.defs mach/mach_port.defs device/device.defs mach/machine/mach_i386.defs; do
    local base; base=$(basename "$defs" .defs)
    if [ ! -f "$d/${base}User.c" ]; then
      (cd "$d" && CC="$cc" "$mig" -I"$inc" -server /dev/null -user "${base}User.c" -header "$base.h" "$inc/$defs")
    fi
  done
  # The Hurd's io and fs interfaces from the project's own declarations
  # (mach-msg's built-in .defs, written out by write-defs.mjs): the real MIG is
  # the oracle that they are valid MIG, and fsclient.c calls its stubs. The
  # stubs are remade when a declaration's text changed.
  for base in io fs; do
    if [ ! -f "$d/${base}User.c" ] || [ "$DEFS/$base.defs" -nt "$d/${base}User.c" ]; then
      (cd "$d" && CC="$cc" "$mig" -server /dev/null -user "${base}User.c" -header "$base.h" "$DEFS/$base.defs")
    fi
  done
  ccflags="-O1 -g0 -ffreestanding -fno-builtin -fno-stack-protector -fno-pic -fno-pie -mgeneral-regs-only \
    -fno-asynchronous-unwind-tables -ftrivial-auto-var-init=zero -DABI_NAME=\"$abi\" -Wall -Wno-unused -I$HERE/c/shim -I$d -isystem $inc"
  local objs=()
  for src in "$HERE/c/start-$abi.S" "$HERE/c/steps.c" "$d/machUser.c" "$d/mach_portUser.c" "$d/deviceUser.c"; do
    local o; o=$d/$(basename "$src").o
    $cc $ccflags -c "$src" -o "$o"; objs+=("$o")
  done
  $cc $ccflags -c "$HERE/c/agent.c" -o "$d/agent.c.o"
  $cc $ccflags -c "$HERE/c/senders.c" -o "$d/senders.c.o"
  $cc $ccflags -c "$HERE/c/link.c" -o "$d/link.c.o"
  $cc $ccflags -c "$HERE/c/fsclient.c" -o "$d/fsclient.c.o"
  for base in io fs; do $cc $ccflags -include "$HERE/c/hurd_fs_types.h" -c "$d/${base}User.c" -o "$d/${base}User.c.o"; done
  $cc $ccflags -c "$d/mach_i386User.c" -o "$d/mach_i386User.c.o"
  # fault.c's thread (vmMap) makes kernel calls beside the worker with its own
  # MIG reply port: a second copy of the mach.defs stubs with the reply-port
  # hooks renamed, only the vm calls it uses kept global, renamed fault_*.
  $cc $ccflags -c "$HERE/c/fault.c" -o "$d/fault.c.o"
  $cc $ccflags -Dmig_get_reply_port=fault_mig_get_reply_port -Dmig_dealloc_reply_port=fault_mig_dealloc_reply_port \
    -Dmig_put_reply_port=fault_mig_put_reply_port -c "$d/machUser.c" -o "$d/machUser-fault.o"
  objcopy --keep-global-symbol=vm_map --keep-global-symbol=vm_copy --keep-global-symbol=vm_write --keep-global-symbol=vm_deallocate "$d/machUser-fault.o"
  objcopy --redefine-sym vm_map=fault_vm_map --redefine-sym vm_copy=fault_vm_copy --redefine-sym vm_write=fault_vm_write \
    --redefine-sym vm_deallocate=fault_vm_deallocate "$d/machUser-fault.o"
  $cc $ldflags -static -nostdlib -no-pie -Wl,--build-id=none -Wl,-e,_start -o "$OUT/agent-$abi.elf" \
    "${objs[@]}" "$d/agent.c.o" "$d/senders.c.o" "$d/link.c.o" "$d/fsclient.c.o" "$d/ioUser.c.o" "$d/fsUser.c.o" "$d/mach_i386User.c.o" "$d/fault.c.o" "$d/machUser-fault.o" -lgcc
  [ "$AGENT_ONLY" = 1 ] && return 0
  $cc $ccflags -c "$HERE/c/interp.c" -o "$d/interp.c.o"
  $cc -c -DBUNDLE="\"$bundle\"" "$HERE/c/bundle.S" -o "$d/bundle.o"
  $cc $ldflags -static -nostdlib -no-pie -Wl,--build-id=none -Wl,-e,_start -o "$OUT/task-$abi.elf" "${objs[@]}" "$d/interp.c.o" "$d/bundle.o" -lgcc
}
build_abi i386
build_abi x86_64

# A kernel image, gzipped or not.
kernel() { local f=$1; if [ -f "$f.gz" ]; then gunzip -c "$f.gz"; else cat "$f"; fi; }
[ -f "$OUT/gnumach-i386" ] || kernel "$CACHE/root-gnumach-image-1.8-486-up-i386/boot/gnumach-1.8-486-up" > "$OUT/gnumach-i386"
if [ ! -f "$OUT/gnumach-x86_64" ]; then
  # QEMU's multiboot loader refuses ELF64; the elf32 copy keeps the 32-bit entry (mach-abi.md section 11).
  kernel "$CACHE/root-gnumach-image-1.8-amd64-up-amd64/boot/gnumach-1.8-amd64-up" > "$OUT/gnumach-x86_64.elf64"
  objcopy -I elf64-x86-64 -O elf32-i386 "$OUT/gnumach-x86_64.elf64" "$OUT/gnumach-x86_64"
fi
echo "$OUT"
