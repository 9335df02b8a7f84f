#!/usr/bin/env bash
# How this x86_64 host runs i386 Linux programs (the i686 migcom, the i386
# MIG stub harnesses): prints nothing if the kernel runs them natively, or
# the path of a qemu-user emulator (qemu-i386) to put in front of them.
#
# Why: a kernel without IA32 emulation -- built without it, booted with
# `ia32_emulation=0`, or a guest of a hypervisor that gives no 32-bit user
# mode (PVM guests, seen on this project's CI machines since 2026-12) --
# refuses every 32-bit ELF with ENOEXEC ("Exec format error"). qemu-user
# runs the same binary unchanged, so the real MIG stays the oracle.
#
# Usage: tools/i386-emulator.sh   exit 0: native (prints nothing) or an
#                                  emulator's path; exit 1: neither, with
#                                  what to install on stderr.
# Env:   HURD_CLUSTER_I386_EMULATOR=PATH forces PATH (for tests of this
#        choice); =native forces native execution.
set -euo pipefail

case "${HURD_CLUSTER_I386_EMULATOR:-}" in
  native) exit 0 ;;
  '') ;;
  *) echo "$HURD_CLUSTER_I386_EMULATOR"; exit 0 ;;
esac

# The probe: a 93-byte static i386 ELF executable, one PT_LOAD segment at
# 0x08048000 whose entry (file offset 0x54) does exit(0) through int 0x80
# (mov eax,1; xor ebx,ebx; int 0x80). Written here byte by byte so that the
# check needs neither gcc -m32 nor the i386 loader.
probe="$(mktemp "${TMPDIR:-/tmp}/i386-probe.XXXXXX")"
trap 'rm -f "$probe"' EXIT
{
  # e_ident: ELFCLASS32, ELFDATA2LSB, EV_CURRENT, System V ABI
  printf '\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'
  printf '\x02\x00\x03\x00\x01\x00\x00\x00'   # ET_EXEC, EM_386, EV_CURRENT
  printf '\x54\x80\x04\x08'                   # e_entry 0x08048054
  printf '\x34\x00\x00\x00\x00\x00\x00\x00'   # e_phoff 52, e_shoff 0
  printf '\x00\x00\x00\x00'                   # e_flags
  printf '\x34\x00\x20\x00\x01\x00'           # e_ehsize 52, e_phentsize 32, e_phnum 1
  printf '\x00\x00\x00\x00\x00\x00'           # no section headers
  printf '\x01\x00\x00\x00\x00\x00\x00\x00'   # PT_LOAD, p_offset 0
  printf '\x00\x80\x04\x08\x00\x80\x04\x08'   # p_vaddr, p_paddr 0x08048000
  printf '\x5d\x00\x00\x00\x5d\x00\x00\x00'   # p_filesz, p_memsz 93
  printf '\x05\x00\x00\x00\x00\x10\x00\x00'   # PF_R|PF_X, p_align 4096
  printf '\xb8\x01\x00\x00\x00\x31\xdb\xcd\x80'
} > "$probe"
chmod +x "$probe"

if "$probe" 2>/dev/null; then exit 0; fi

for emu in qemu-i386 qemu-i386-static; do
  if path="$(command -v "$emu")" && "$path" "$probe" 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done

echo "this host cannot run i386 programs (its kernel has no IA32 emulation) and no qemu-user emulator is installed: apt-get install qemu-user" >&2
exit 1
