/**
 * Real messages the `demo` command decodes and re-encodes. Copied here (not
 * read from test files) so the CLI needs nothing but itself.
 */
export interface DemoVector {
  label: string;
  /** Where the bytes come from. */
  origin: string;
  abi: 'i386' | 'x86_64';
  hex: string;
}

export const DEMO_VECTORS: readonly DemoVector[] = [
  {
    label: 'no-senders notification',
    origin: 'delivered by the Debian 13 GNU Mach kernel (x86_64) in QEMU; mach-abi.md §7',
    abi: 'x86_64',
    hex: '00120000 30000000 0000000000000000 0f00000000000000 00000000 46000000 | 02200020 01000000 01000000 00000000',
  },
  {
    label: 'no-senders notification',
    origin: 'delivered by the Debian 13 GNU Mach kernel (i386) in QEMU; mach-abi.md §7',
    abi: 'i386',
    hex: '00120000 20000000 00000000 0f000000 00000000 46000000 | 02200110 01000000',
  },
  {
    label: 'memory_object_init(0x60, ctl 0x61, name 0x62, 4096)',
    origin: 'as a MIG user stub sends it (x86_64); mach-abi.md §9',
    abi: 'x86_64',
    hex:
      '13000080 50000000 6000000000000000 0000000000000000 00000000 98080000 | ' +
      '14400020 01000000 6100000000000000 | 14400020 01000000 6200000000000000 | 0b400020 01000000 0010000000000000',
  },
  {
    label: 'task_create request, as the user stub sends it',
    origin: 'real MIG 1.8 user stub (i386), test/fixtures/mig/mach.i386.json task_create#0',
    abi: 'i386',
    hex: '13150000 20000000 03000000 31000000 00000000 d7070000 | 00200110 01000000',
  },
  {
    label: 'vm_allocate reply, as the client receives it',
    origin: 'real MIG 1.8 server stub (x86_64), test/fixtures/mig/mach.x86_64.json vm_allocate#0',
    abi: 'x86_64',
    hex: '00120000 40000000 0000000000000000 3100000000000000 02000000 49080000 | 02200020 01000000 00000000 00000000 | 0b400020 01000000 0000004000000000',
  },
  {
    label: 'mach_port_names reply with two out-of-line arrays, as received',
    origin: 'real MIG 1.8 server stub (x86_64), test/fixtures/mig/mach_port.x86_64.json mach_port_names#0',
    abi: 'x86_64',
    hex:
      '00120080 50000000 0000000000000000 3100000000000000 00000000 e40c0000 | 02200020 01000000 00000000 00000000 | ' +
      '0f2000c0 05000000 0000002000000000 | 022000c0 05000000 0000102000000000',
  },
];
