// A gate for forms on workers: a form waits until the test opens the gate (a file appears),
// so the order in which tasks finish is decided by the test, not by timing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.mjs';

export function makeGate() {
  const file = join(tempDir(), 'gate');
  return {
    /** A form whose value is `value`, once the gate is open. */
    form: (value) =>
      `new Promise((r) => { const t = setInterval(() => { if ` +
      `(require('node:fs').existsSync(${JSON.stringify(file)})) { ` +
      `clearInterval(t); r(${JSON.stringify(value)}); } }, 5); })`,
    open: () => writeFileSync(file, 'open'),
  };
}
