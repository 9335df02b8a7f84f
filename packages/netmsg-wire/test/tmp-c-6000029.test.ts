import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runSchedule, type Op } from '../src/sim/schedules.js';
import type { Cluster } from '../src/sim/cluster.js';

it('state', () => {
  const ops = JSON.parse(readFileSync('/tmp/C-sw/shrink-6000029.json', 'utf8')) as Op[];
  let cl: Cluster | undefined;
  const log: string[] = [];
  const r = runSchedule(4, 6000029, ops, { loss: true, observe: (c) => { cl = c;
    const n = c.node(2);
    const h = n.machine.handle.bind(n.machine);
    n.machine.handle = (ev) => {
      const out = h(ev);
      const e = (n.machine as unknown as { byKey: Map<string, Record<string, unknown>> }).byKey.get('2:3');
      if (e) log.push(`${ev.type}${'peer' in ev ? ev.peer : ''}${ev.type === 'portMessage' ? ' port ' + ev.port + ' id ' + ev.msg.header.id : ''}${ev.type === 'frame' && ev.frame.kind === 'control' ? ' ' + JSON.stringify(ev.frame.control) : ''}: role ${e.role} draining ${e.draining} dd ${e.drainDeliveries} paused ${e.paused} migrating ${e.migrating} handoff ${e.handoff} route ${e.route} upstream ${e.upstream} migrateFrom ${e.migrateFrom} held ${(e.held as unknown[]).length} drainHold ${(e.drainHold as unknown[]).length} flushWait ${JSON.stringify(e.flushWait)} relayWait ${e.relayWait} | ${out.filter((a) => a.type === 'pausePort' || a.type === 'resumePort' || a.type === 'reclaimPort').map((a) => a.type + ('name' in a ? a.name : '')).join(',')}`);
      return out;
    };
  } });
  const n2 = cl!.node(2);
  console.log(log.filter((l, i) => i === 0 || l.split(': ')[1] !== log[i - 1]!.split(': ')[1]).join('\n'));
  const e = (n2.machine as unknown as { byKey: Map<string, Record<string, unknown>> }).byKey.get('2:3')!;
  const name = e.name as number;
  const port = n2.netmsg.space.get(name)?.port;
  console.log('port queue', port?.queue.length, 'paused(sim)', n2.paused.has(name), 'ready', n2.readyPorts());
  console.log(r.violations.slice(0, 4).join('\n'));
}, 600000);
