/**
 * The MIG compiler on every .defs file that Debian 13's gnumach-dev installs,
 * for both ABIs. The files are the real input, fetched (and cached) by
 * tools/debian13-fetch.sh; the expected ids are copied from the project's
 * reference table of gnumach.msgids, and the memory_object_init bytes from
 * mach-abi.md §9 (a vector from the real MIG).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Abi } from '../src/message.js';
import { encodeMessage } from '../src/encode.js';
import { decodeMessage } from '../src/decode.js';
import {
  compileInterface,
  createFsIncludeResolver,
  type CompiledInterface,
  type Defines,
  parseDefs,
  POLYMORPHIC,
} from '../src/mig/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const ABIS: readonly Abi[] = ['i386', 'x86_64'];
let cache = '';

function includeDir(abi: Abi): string {
  return abi === 'x86_64'
    ? join(cache, 'root-gnumach-dev-amd64/usr/include/x86_64-linux-gnu')
    : join(cache, 'root-gnumach-dev-i386/usr/include/i386-linux-gnu');
}

/** Every installed .defs, relative to the include folder. */
function defsFiles(abi: Abi): string[] {
  const inc = includeDir(abi);
  const out: string[] = [];
  for (const d of ['mach', 'device', 'mach_debug', `mach/${abi}`]) {
    for (const f of readdirSync(join(inc, d))) if (f.endsWith('.defs')) out.push(`${d}/${f}`);
  }
  return out.sort();
}

function compile(abi: Abi, rel: string, defines?: Defines): CompiledInterface {
  const inc = includeDir(abi);
  const file = join(inc, rel);
  return compileInterface(readFileSync(file, 'utf8'), {
    abi,
    file,
    includeResolver: createFsIncludeResolver([inc]),
    ...(defines ? { defines } : {}),
  });
}

/** Types-only files have no subsystem (the real MIG refuses them alone too): wrap them. */
function compileTypesFile(abi: Abi, rel: string): CompiledInterface {
  const inc = includeDir(abi);
  return compileInterface(`subsystem typesonly 9000;\n#include <mach/mach_types.defs>\n#include <${rel}>\n`, {
    abi,
    includeResolver: createFsIncludeResolver([inc]),
  });
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

beforeAll(() => {
  // The real input: Debian 13's gnumach-dev (cached after the first run).
  cache = execFileSync('bash', [join(here, '../../../tools/debian13-fetch.sh')], { encoding: 'utf8' }).trim();
  expect(existsSync(includeDir('x86_64'))).toBe(true);
  expect(existsSync(includeDir('i386'))).toBe(true);
}, 600_000);

/** Routines per interface file, as the Debian 13 MIG sees them with no -D. */
const ROUTINE_COUNTS: Record<string, { i386: number; x86_64: number }> = {
  'device/device.defs': { i386: 12, x86_64: 12 },
  'device/device_reply.defs': { i386: 5, x86_64: 5 },
  'device/device_request.defs': { i386: 6, x86_64: 6 },
  'mach/default_pager.defs': { i386: 6, x86_64: 6 },
  'mach/exc.defs': { i386: 1, x86_64: 1 },
  'mach/experimental.defs': { i386: 3, x86_64: 3 },
  'mach/gnumach.defs': { i386: 15, x86_64: 15 },
  'mach/mach.defs': { i386: 44, x86_64: 44 },
  'mach/mach4.defs': { i386: 2, x86_64: 2 },
  // host_get_time is i386-only (`#if defined(__i386__) || ...` in mach_host.defs).
  'mach/mach_host.defs': { i386: 42, x86_64: 41 },
  'mach/mach_port.defs': { i386: 20, x86_64: 20 },
  'mach/memory_object.defs': { i386: 9, x86_64: 9 },
  'mach/memory_object_default.defs': { i386: 2, x86_64: 2 },
  'mach/notify.defs': { i386: 6, x86_64: 6 },
  'mach/task_notify.defs': { i386: 1, x86_64: 1 },
  'mach_debug/mach_debug.defs': { i386: 13, x86_64: 13 },
  'mach/i386/mach_i386.defs': { i386: 7, x86_64: 0 },
  'mach/x86_64/mach_i386.defs': { i386: 0, x86_64: 7 },
};

/** subsystem routine request_id reply_id (0: simpleroutine), from gnumach.msgids (device_pager omitted: no .defs installed). */
const MSGIDS = `
notify mach_notify_port_deleted 65 0
notify mach_notify_msg_accepted 66 0
notify mach_notify_port_destroyed 69 0
notify mach_notify_no_senders 70 0
notify mach_notify_send_once 71 0
notify mach_notify_dead_name 72 0
mach task_create 2007 2107
mach task_terminate 2008 2108
mach task_get_emulation_vector 2009 2109
mach task_set_emulation_vector 2010 2110
mach task_threads 2011 2111
mach task_info 2012 2112
mach thread_terminate 2016 2116
mach thread_get_state 2017 2117
mach thread_set_state 2018 2118
mach thread_info 2019 2119
mach vm_allocate 2021 2121
mach vm_deallocate 2023 2123
mach vm_protect 2024 2124
mach vm_inherit 2025 2125
mach vm_read 2026 2126
mach vm_write 2027 2127
mach vm_copy 2028 2128
mach vm_region 2029 2129
mach vm_statistics 2030 2130
mach mach_ports_register 2033 2133
mach mach_ports_lookup 2034 2134
mach memory_object_data_unavailable 2039 0
mach memory_object_get_attributes 2040 2140
mach vm_set_default_memory_manager 2041 2141
mach memory_object_lock_request 2044 0
mach task_suspend 2056 2156
mach task_resume 2057 2157
mach task_get_special_port 2058 2158
mach task_set_special_port 2059 2159
mach thread_create 2061 2161
mach thread_suspend 2062 2162
mach thread_resume 2063 2163
mach thread_abort 2064 2164
mach thread_get_special_port 2067 2167
mach thread_set_special_port 2068 2168
mach task_set_emulation 2070 2170
mach task_ras_control 2071 2171
mach vm_map 2089 2189
mach memory_object_data_error 2090 0
mach memory_object_destroy 2092 0
mach memory_object_data_supply 2093 0
mach memory_object_ready 2094 0
mach memory_object_change_attributes 2095 0
mach vm_machine_attribute 2099 2199
memory_object memory_object_init 2200 0
memory_object memory_object_terminate 2201 0
memory_object memory_object_copy 2202 0
memory_object memory_object_data_request 2203 0
memory_object memory_object_data_unlock 2204 0
memory_object memory_object_lock_completed 2206 0
memory_object memory_object_supply_completed 2207 0
memory_object memory_object_data_return 2208 0
memory_object memory_object_change_completed 2209 0
memory_object_default memory_object_create 2250 0
memory_object_default memory_object_data_initialize 2251 0
exc exception_raise 2400 2500
mach_host host_processors 2600 2700
mach_host processor_start 2603 2703
mach_host processor_exit 2604 2704
mach_host processor_set_default 2606 2706
mach_host processor_set_create 2608 2708
mach_host processor_set_destroy 2609 2709
mach_host processor_assign 2611 2711
mach_host processor_get_assignment 2612 2712
mach_host thread_assign 2613 2713
mach_host thread_assign_default 2614 2714
mach_host thread_get_assignment 2615 2715
mach_host task_assign 2616 2716
mach_host task_assign_default 2617 2717
mach_host task_get_assignment 2618 2718
mach_host thread_priority 2620 2720
mach_host thread_max_priority 2621 2721
mach_host task_priority 2622 2722
mach_host processor_set_max_priority 2623 2723
mach_host thread_policy 2624 2724
mach_host processor_set_policy_enable 2625 2725
mach_host processor_set_policy_disable 2626 2726
mach_host processor_set_tasks 2627 2727
mach_host processor_set_threads 2628 2728
mach_host host_processor_sets 2629 2729
mach_host host_processor_set_priv 2630 2730
mach_host thread_depress_abort 2631 2731
mach_host host_set_time 2632 2732
mach_host host_adjust_time 2633 2733
mach_host host_get_time 2634 2734
mach_host host_reboot 2635 2735
mach_host vm_wire 2636 2736
mach_host thread_wire 2637 2737
mach_host host_info 2638 2738
mach_host processor_info 2639 2739
mach_host processor_set_info 2640 2740
mach_host processor_control 2641 2741
mach_host host_get_time64 2643 2743
mach_host host_set_time64 2644 2744
mach_host host_adjust_time64 2645 2745
mach_host host_get_kernel_version 2646 2746
mach_host host_get_uptime64 2647 2747
device device_open 2800 2900
device device_close 2801 2901
device device_write 2802 2902
device device_write_inband 2803 2903
device device_read 2804 2904
device device_read_inband 2805 2905
device device_open_new 2806 2906
device device_map 2809 2909
device device_set_status 2810 2910
device device_get_status 2811 2911
device device_set_filter 2812 2912
device device_intr_register 2813 2913
device device_intr_ack 2814 2914
device_reply device_open_reply 2900 0
device_reply device_write_reply 2902 0
device_reply device_write_reply_inband 2903 0
device_reply device_read_reply 2904 0
device_reply device_read_reply_inband 2905 0
mach_debug mach_port_get_srights 3007 3107
mach_debug host_ipc_marequest_info 3009 3109
mach_debug mach_port_dnrequest_info 3011 3111
mach_debug host_stack_usage 3014 3114
mach_debug processor_set_stack_usage 3015 3115
mach_debug host_virtual_physical_table_info 3016 3116
mach_debug mach_port_kernel_object 3018 3118
mach_debug mach_vm_region_info 3019 3119
mach_debug mach_vm_object_info 3020 3120
mach_debug mach_vm_object_pages 3021 3121
mach_debug host_slab_info 3022 3122
mach_debug mach_vm_object_pages_phys 3024 3124
mach_port mach_port_names 3200 3300
mach_port mach_port_type 3201 3301
mach_port mach_port_rename 3202 3302
mach_port mach_port_allocate_name 3203 3303
mach_port mach_port_allocate 3204 3304
mach_port mach_port_destroy 3205 3305
mach_port mach_port_deallocate 3206 3306
mach_port mach_port_get_refs 3207 3307
mach_port mach_port_mod_refs 3208 3308
mach_port mach_port_set_qlimit 3210 3310
mach_port mach_port_set_mscount 3211 3311
mach_port mach_port_get_set_status 3212 3312
mach_port mach_port_move_member 3213 3313
mach_port mach_port_request_notification 3214 3314
mach_port mach_port_insert_right 3215 3315
mach_port mach_port_extract_right 3216 3316
mach_port mach_port_get_receive_status 3217 3317
mach_port mach_port_set_seqno 3218 3318
mach_port mach_port_set_protected_payload 3221 3321
mach_port mach_port_clear_protected_payload 3222 3322
mach_i386 i386_set_ldt 3803 3903
mach_i386 i386_get_ldt 3804 3904
mach_i386 i386_io_perm_create 3805 3905
mach_i386 i386_io_perm_modify 3806 3906
mach_i386 i386_set_gdt 3807 3907
mach_i386 i386_get_gdt 3808 3908
mach_i386 i386_get_xstate_size 3809 3909
mach4 task_enable_pc_sampling 4000 4100
mach4 task_disable_pc_sampling 4001 4101
mach4 task_get_sampled_pcs 4002 4102
mach4 thread_enable_pc_sampling 4003 4103
mach4 thread_disable_pc_sampling 4004 4104
mach4 thread_get_sampled_pcs 4005 4105
mach4 memory_object_create_proxy 4010 4110
mach4 vm_region_create_proxy 4011 4111
gnumach vm_cache_statistics 4200 4300
gnumach thread_terminate_release 4201 0
gnumach task_set_name 4202 0
gnumach register_new_task_notification 4203 4303
gnumach gsync_wait 4204 4304
gnumach gsync_wake 4205 0
gnumach gsync_requeue 4206 0
gnumach vm_wire_all 4207 4307
gnumach vm_object_sync 4208 4308
gnumach vm_msync 4209 4309
gnumach vm_allocate_contiguous 4210 4310
gnumach task_set_essential 4211 0
gnumach vm_pages_phys 4212 4312
gnumach thread_set_name 4213 0
gnumach thread_get_name 4214 4314
task_notify mach_notify_new_task 4400 0
experimental device_intr_register 424243 424343
experimental device_intr_enable 424244 424344
experimental vm_allocate_contiguous 424245 424345
`;

const SUBSYSTEM_FILES: Record<string, string> = {
  device: 'device/device.defs',
  device_reply: 'device/device_reply.defs',
  exc: 'mach/exc.defs',
  experimental: 'mach/experimental.defs',
  gnumach: 'mach/gnumach.defs',
  mach: 'mach/mach.defs',
  mach4: 'mach/mach4.defs',
  mach_debug: 'mach_debug/mach_debug.defs',
  mach_host: 'mach/mach_host.defs',
  memory_object: 'mach/memory_object.defs',
  memory_object_default: 'mach/memory_object_default.defs',
  notify: 'mach/notify.defs',
  task_notify: 'mach/task_notify.defs',
  mach_port: 'mach/mach_port.defs',
  mach_i386: 'mach/machine/mach_i386.defs',
};

describe('every gnumach-dev .defs parses and lays out', () => {
  for (const abi of ABIS) {
    it(`${abi}: all files`, () => {
      const files = defsFiles(abi);
      expect(files.length).toBeGreaterThanOrEqual(21);
      let routines = 0;
      for (const rel of files) {
        const inc = includeDir(abi);
        const ast = parseDefs(readFileSync(join(inc, rel), 'utf8'), {
          abi,
          file: rel,
          includeResolver: createFsIncludeResolver([inc]),
        });
        expect(ast.statements.length, rel).toBeGreaterThan(0);
        const hasSubsystem = ast.statements.some((s) => s.kind === 'subsystem');
        const ci = hasSubsystem ? compile(abi, rel) : compileTypesFile(abi, rel);
        if (hasSubsystem) {
          const want = ROUTINE_COUNTS[rel];
          expect(want, `expected count for ${rel}`).toBeDefined();
          expect(ci.routines.length, rel).toBe(want?.[abi]);
        } else {
          expect(ci.routines.length, rel).toBe(0);
          expect(ci.types.size, rel).toBeGreaterThan(10);
        }
        for (const r of ci.routines) {
          const L = r.layout;
          // Every layout is complete: items, sizes and descriptor sizes per ABI.
          expect(L.request.headerBytes).toBe(abi === 'x86_64' ? 32 : 24);
          expect(L.request.minSize % (abi === 'x86_64' ? 8 : 4)).toBe(0);
          for (const it of L.request.items) {
            if (abi === 'x86_64') expect(it.descriptorBytes).toBe(8);
            else expect(it.descriptorBytes).toBe(it.descriptor.longform ? 12 : 4);
          }
          if (r.simple) expect(L.reply).toBeUndefined();
          else {
            expect(L.reply?.id).toBe(L.id + 100);
            expect(L.reply?.items[0]?.name).toBe('RetCode');
            expect(L.errorReplySize).toBe(abi === 'x86_64' ? 48 : 32);
          }
          routines++;
        }
      }
      expect(routines).toBe(abi === 'x86_64' ? 193 : 194);
    });
  }

  it('routine ids agree with gnumach.msgids (both ABIs)', () => {
    const rows = MSGIDS.trim().split('\n').map((l) => l.split(' '));
    expect(rows.length).toBe(187);
    for (const abi of ABIS) {
      const compiled = new Map<string, CompiledInterface>();
      for (const [sub, rel] of Object.entries(SUBSYSTEM_FILES)) {
        // The kernel's msgids include the pc-sampling calls (MACH_PCSAMPLE) and device_open_new.
        const defines: Defines | undefined = sub === 'mach4' ? { MACH_PCSAMPLE: 1 } : sub === 'device' ? { DEVICE_ENABLE_DEVICE_OPEN_NEW: 1 } : undefined;
        compiled.set(sub, compile(abi, rel, defines));
      }
      const requestDefs = compile(abi, 'device/device_request.defs');
      for (const [sub, name, id, replyId] of rows as [string, string, string, string][]) {
        const ci = compiled.get(sub);
        expect(ci, sub).toBeDefined();
        if (abi === 'x86_64' && name === 'host_get_time') continue; // i386-only
        const r = ci?.byName.get(name) ?? (sub === 'device' ? requestDefs.byName.get(name) : undefined);
        expect(r, `${sub} ${name}`).toBeDefined();
        expect(r?.id, name).toBe(Number(id));
        expect(r?.replyId ?? 0, name).toBe(Number(replyId));
      }
    }
  });
});

describe('known layouts (mach-abi.md)', () => {
  it('memory_object_init on x86_64 encodes to the §9 vector', () => {
    const mo = compile('x86_64', 'mach/memory_object.defs');
    const r = mo.routine('memory_object_init');
    expect(r.id).toBe(2200);
    expect(r.simple).toBe(true);
    const msg = r.encodeRequest({ memory_object: 0x60, memory_control: 0x61, memory_object_name: 0x62, memory_object_page_size: 4096n });
    expect(hex(encodeMessage(msg, 'x86_64'))).toBe(
      '13000080500000006000000000000000000000000000000000000000980800001440002001000000610000000000000014400020010000006200000000000000' +
        '0b4000200100000000100000' + '00000000',
    );
    // And back, through the bytes, as the server would check it.
    const back = r.decodeRequest(decodeMessage(encodeMessage(msg, 'x86_64'), 'x86_64'));
    expect(back.args).toEqual({
      memory_control: { name: 0x61, disposition: 20 },
      memory_object_name: { name: 0x62, disposition: 20 },
      memory_object_page_size: 4096n,
    });
  });

  it('memory_object ids and request shapes (§9)', () => {
    for (const abi of ABIS) {
      const mo = compile(abi, 'mach/memory_object.defs');
      expect(mo.subsystem.base).toBe(2200);
      expect(mo.routines.map((r) => [r.name, r.id])).toEqual([
        ['memory_object_init', 2200],
        ['memory_object_terminate', 2201],
        ['memory_object_copy', 2202],
        ['memory_object_data_request', 2203],
        ['memory_object_data_unlock', 2204],
        ['memory_object_lock_completed', 2206],
        ['memory_object_supply_completed', 2207],
        ['memory_object_data_return', 2208],
        ['memory_object_change_completed', 2209],
      ]);
      expect(mo.routines.every((r) => r.simple)).toBe(true);
      const term = mo.routine('memory_object_terminate').layout;
      expect(term.requestBits.remote).toBe(17); // MOVE_SEND
      expect(term.request.items.map((i) => i.descriptor.name)).toEqual([16, 16]);
      // data_return: pointer_t is always out-of-line BYTE, long form.
      const ret = mo.routine('memory_object_data_return').layout.request.items.find((i) => i.name === 'data');
      expect(ret?.placement).toBe('ool');
      expect(ret?.descriptor).toMatchObject({ name: 9, size: 8, inline: false, longform: true });
      // lock_completed: polymorphic request port.
      expect(mo.routine('memory_object_lock_completed').layout.requestBits.remote).toBe(POLYMORPHIC);
    }
  });

  it('notify ids, sizes and bodies (§7)', () => {
    for (const abi of ABIS) {
      const n = compile(abi, 'mach/notify.defs');
      const ids = Object.fromEntries(n.routines.map((r) => [r.name, r.id]));
      expect(ids).toEqual({
        mach_notify_port_deleted: 0o101,
        mach_notify_msg_accepted: 0o102,
        mach_notify_port_destroyed: 0o105,
        mach_notify_no_senders: 0o106,
        mach_notify_send_once: 0o107,
        mach_notify_dead_name: 0o110,
      });
      const size = (name: string): number | undefined => n.routine(name).layout.request.fixedSize;
      expect(size('mach_notify_no_senders')).toBe(abi === 'x86_64' ? 48 : 32);
      expect(size('mach_notify_port_destroyed')).toBe(abi === 'x86_64' ? 48 : 32);
      expect(size('mach_notify_send_once')).toBe(abi === 'x86_64' ? 32 : 24);
      const pd = n.routine('mach_notify_port_destroyed').layout.request;
      expect(pd.items[0]?.descriptor.size).toBe(abi === 'x86_64' ? 64 : 32);
      // mach_port_receive_t is MACH_MSG_TYPE_PORT_RECEIVE: the sender picks
      // the disposition (polymorphic), so the complex bit depends on it.
      expect(pd.complex).toBe('maybe');
      expect(pd.items[0]?.acceptedNames).toEqual([16]);
      const sent = n.routine('mach_notify_port_destroyed').encodeRequest({ notify: 5, rights: { name: 7, disposition: 16 } });
      expect(sent.header.bits.complex).toBe(true);
    }
    // The kernel's no-senders notification (§7), decoded through the bytes.
    const n = compile('x86_64', 'mach/notify.defs');
    const bytes = Buffer.from('00120000300000000000000000000000' + '0f00000000000000000000004600000002200020010000000100000000000000', 'hex');
    const got = n.decodeRequest(decodeMessage(new Uint8Array(bytes), 'x86_64'));
    expect(got.routine.name).toBe('mach_notify_no_senders');
    expect(got.args).toEqual({ mscount: 1 });
    const n32 = compile('i386', 'mach/notify.defs');
    const i386bytes = Buffer.from('00120000' + '20000000' + '00000000' + '0f000000' + '00000000' + '46000000' + '02200110' + '01000000', 'hex');
    const got32 = n32.decodeRequest(decodeMessage(new Uint8Array(i386bytes), 'i386'));
    expect(got32.args).toEqual({ mscount: 1 });
    expect(got32.header.localPort).toBe(0xf);
  });

  it('mach_port ids (gnumach.msgids) and widths per ABI (§5)', () => {
    for (const abi of ABIS) {
      const mp = compile(abi, 'mach/mach_port.defs');
      expect(mp.routine('mach_port_names').id).toBe(3200);
      expect(mp.routine('mach_port_allocate').id).toBe(3204);
      expect(mp.routine('mach_port_insert_right').id).toBe(3215);
      expect(mp.routine('mach_port_request_notification').id).toBe(3214);
      expect(mp.routine('mach_port_set_protected_payload').id).toBe(3221);
      expect(mp.byId.get(3209)).toBeUndefined(); // a skip
      const alloc = mp.routine('mach_port_allocate').layout;
      // task (header), right (natural_t, INTEGER_32); reply: RetCode, name (PORT_NAME 32).
      expect(alloc.request.items.map((i) => [i.name, i.descriptor.name, i.descriptor.size])).toEqual([['right', 2, 32]]);
      expect(alloc.reply?.items.map((i) => [i.name, i.descriptor.name, i.descriptor.size])).toEqual([
        ['RetCode', 2, 32],
        ['name', 15, 32],
      ]);
      expect(alloc.reply?.fixedSize).toBe(abi === 'x86_64' ? 64 : 40);
      const m = compile(abi, 'mach/mach.defs');
      const va = m.routine('vm_allocate').layout.request.items;
      expect(va.map((i) => i.descriptor.name)).toEqual(abi === 'x86_64' ? [11, 11, 0] : [2, 2, 0]);
      expect(va.map((i) => i.descriptor.size)).toEqual(abi === 'x86_64' ? [64, 64, 32] : [32, 32, 32]);
    }
  });

  it('device_open: dev_name_t is long form STRING_C 1024 bits (§5)', () => {
    for (const abi of ABIS) {
      const d = compile(abi, 'device/device.defs');
      const name = d.routine('device_open').layout.request.items.find((i) => i.name === 'name');
      expect(name?.descriptor).toEqual({ name: 12, size: 1024, number: 1, inline: true, longform: true, deallocate: false });
      expect(name?.descriptorBytes).toBe(abi === 'x86_64' ? 8 : 12);
    }
    const d = compile('x86_64', 'device/device.defs');
    const msg = d.routine('device_open').encodeRequest({ master_port: 1, mode: 3, name: 'hd0' }, { header: { localPort: 9 } });
    const b = encodeMessage(msg, 'x86_64');
    // mode item (16 bytes) then the name descriptor `0c000460 01000000`.
    expect(hex(b.subarray(48, 56))).toBe('0c00046001000000');
    expect(msg.header.bits).toMatchObject({ remote: 19, local: 21 });
  });
});
