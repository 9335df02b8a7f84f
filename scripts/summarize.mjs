#!/usr/bin/env node
// Sums the vitest JSON reports (packages/*/.vitest-results.json) into the
// counts CI prints. A test file that failed outside its tests counts as one
// failure; a package with a test script but no report counts as one too.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function summarize() {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const missing = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pj = join(root, 'packages', dir, 'package.json');
    if (!existsSync(pj)) continue;
    if (!JSON.parse(readFileSync(pj, 'utf8')).scripts?.test) continue;
    const f = join(root, 'packages', dir, '.vitest-results.json');
    if (!existsSync(f)) {
      missing.push(dir);
      continue;
    }
    const r = JSON.parse(readFileSync(f, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // A file that failed outside its tests (import error, failing
    // beforeAll: its tests then show as skipped) counts once.
    for (const t of r.testResults ?? []) {
      const failedTests = (t.assertionResults ?? []).filter((a) => a.status === 'failed').length;
      if (t.status === 'failed' && failedTests === 0) failed += 1;
    }
  }
  return { passed, failed: failed + missing.length, skipped, missing };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { passed, failed, skipped, missing } = summarize();
  for (const m of missing) console.error(`packages/${m}: no test report (its test run did not finish)`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
}
