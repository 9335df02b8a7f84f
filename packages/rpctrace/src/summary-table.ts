/**
 * The -c table, alone in its module: the command's side of -c counted in
 * the traced program (cli/summary-consume.ts) prints it without loading
 * render.ts's value formatting, which brings mach-msg.
 */
import type { RoutineStats } from './records.js';

/** The -c table: per routine, calls, errors, total/avg/max request-to-reply time; busiest first. */
export function formatSummary(stats: readonly RoutineStats[]): string {
  const rows = [...stats].sort((a, b) => b.totalMs - a.totalMs || b.calls - a.calls || a.routine.localeCompare(b.routine));
  const sec = (ms: number): string => (ms / 1000).toFixed(6);
  const lines = [
    `${'calls'.padStart(8)} ${'errors'.padStart(8)} ${'total s'.padStart(11)} ${'avg s'.padStart(11)} ${'max s'.padStart(11)} routine`,
    `${'-'.repeat(8)} ${'-'.repeat(8)} ${'-'.repeat(11)} ${'-'.repeat(11)} ${'-'.repeat(11)} ${'-'.repeat(24)}`,
  ];
  let calls = 0;
  let errors = 0;
  let total = 0;
  let replied = 0;
  let max = 0;
  for (const r of rows) {
    calls += r.calls;
    errors += r.errors;
    total += r.totalMs;
    replied += r.replied;
    max = Math.max(max, r.maxMs);
    const avg = r.replied === 0 ? 0 : r.totalMs / r.replied;
    lines.push(
      `${String(r.calls).padStart(8)} ${String(r.errors).padStart(8)} ${sec(r.totalMs).padStart(11)} ${sec(avg).padStart(11)} ${sec(r.maxMs).padStart(11)} ${r.routine}`,
    );
  }
  lines.push(lines[1] as string);
  const avg = replied === 0 ? 0 : total / replied;
  lines.push(`${String(calls).padStart(8)} ${String(errors).padStart(8)} ${sec(total).padStart(11)} ${sec(avg).padStart(11)} ${sec(max).padStart(11)} total`);
  return lines.join('\n') + '\n';
}
