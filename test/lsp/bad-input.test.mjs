// Bad requests to `crew lsp` get errors that name the cause; the server keeps serving.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { rejection, startServer } from './lsp-client.mjs';
import { scaled } from '../time-scale.mjs';

let s;
let P;
before(async () => {
  s = await startServer();
  P = s.P;
});
after(async () => {
  await s?.stop();
});

async function invalid(type, params, pattern) {
  const err = await rejection(s.request(type, params));
  assert.equal(err.code, P.LspErrorCodes.InvalidParams, `${type.method} ${JSON.stringify(params)}: ${err.message}`);
  assert.equal(err.data?.code, 'CREW_BAD_ARGUMENT');
  assert.match(err.message, pattern);
  return err;
}

test('malformed evaluation parameters name the field', { timeout: scaled(60_000) }, async () => {
  await invalid(
    P.EvalAllWorkers.type,
    {},
    /crew\/evalAllWorkers: "code" must be the source text to evaluate, got nothing/,
  );
  await invalid(P.EvalMaster.type, { code: 42 }, /"code" must be the source text to evaluate, got number/);
  await invalid(P.EvalMaster.type, { code: '   ' }, /"code" is empty/);
  await invalid(P.EvalMaster.type, { code: '1', line: 0 }, /"line" must be a whole number >= 1 \(1-based\), got 0/);
  await invalid(P.EvalMaster.type, { code: '1', column: 'x' }, /"column" must be a whole number >= 1/);
  await invalid(P.EvalMaster.type, { code: '1', filename: 7 }, /"filename" must be a string, got number/);
  await invalid(P.EvalAllWorkers.type, { code: '1', replay: 'yes' }, /"replay" must be a boolean, got string/);
  await invalid(P.EvalOn.type, { code: '1' }, /"worker" must be a worker id such as "w1", or null/);
  await invalid(P.EvalMaster.type, ['1 + 1'], /parameters must be an object, got an array/);
});

test('malformed connection parameters name the field', { timeout: scaled(60_000) }, async () => {
  await invalid(P.ConnectWorkers.type, { local: -1 }, /"local" must be a whole number from 0 to 64, got -1/);
  await invalid(P.ConnectWorkers.type, { local: 1000 }, /"local" must be a whole number from 0 to 64/);
  await invalid(P.ConnectWorkers.type, { addresses: 'h:1' }, /"addresses" must be a list of "host:port" strings/);
  await invalid(P.ConnectWorkers.type, { addresses: ['nowhere'] }, /"nowhere" is not host:port/);
  await invalid(P.ConnectWorkers.type, { slurm: 8 }, /parameters must be an object, got number/);
  await invalid(P.ConnectWorkers.type, { slurm: {} }, /"slurm\.workers" is missing: how many workers to submit/);
  await invalid(P.ConnectWorkers.type, { slurm: { workers: 0 } }, /"slurm\.workers" must be a whole number from 1/);
  await invalid(P.ConnectWorkers.type, { slurm: { workers: 2, time: 1.5 } }, /"slurm\.time" must be a whole number/);
  await invalid(P.ConnectWorkers.type, { slurm: { workers: 2, partition: '' } }, /"slurm\.partition" must be/);
  await invalid(
    P.ConnectWorkers.type,
    { slurm: { workers: 2, sbatchArgs: '--mem=1G' } },
    /"slurm\.sbatchArgs" must be a list of strings/,
  );
  await invalid(P.Interrupt.type, { worker: 3 }, /"worker" must be a string/);
});

test(
  'a syntax error comes back as an error outcome naming the place, on the master and on workers',
  { timeout: scaled(60_000) },
  async () => {
    const master = await s.request(P.EvalMaster.type, { code: 'let = = 2', filename: '/src/bad.ts', line: 4 });
    await s.request(P.ConnectWorkers.type, { local: 1 });
    const workers = await s.request(P.EvalAllWorkers.type, { code: 'let = = 2', filename: '/src/bad.ts', line: 4 });
    for (const r of [master, workers]) {
      assert.equal(r.where, 'master', 'the master compiles forms');
      assert.equal(r.outcomes.length, 1);
      const o = r.outcomes[0];
      assert.equal(o.ok, false);
      assert.equal(o.error.code, 'CREW_FORM_SYNTAX');
      assert.match(o.error.message, /syntax error in the form at \/src\/bad\.ts:4:\d+/);
    }
    await s.request(P.DisconnectWorkers.type, null);
  },
);

test(
  'an unreachable worker is reported with what to do, and the pool still starts',
  { timeout: scaled(60_000) },
  async () => {
    const r = await s.request(P.ConnectWorkers.type, { addresses: ['127.0.0.1:9'] });
    assert.equal(r.started, true);
    assert.equal(r.workers.length, 0);
    assert.equal(r.errors.length, 1);
    assert.match(
      r.errors[0],
      /cannot connect to worker 127\.0\.0\.1:9: .*Is `crew worker --port 9` running on 127\.0\.0\.1, with the same secret\?/,
    );
  },
);

test('interrupting a worker that does not exist names it', { timeout: scaled(60_000) }, async () => {
  const err = await rejection(s.request(P.Interrupt.type, { worker: 'w7' }));
  assert.equal(err.code, P.LspErrorCodes.CrewFailure);
  assert.equal(err.data.code, 'CREW_UNKNOWN_WORKER');
  assert.match(err.message, /w7/);
});

test(
  'an unknown crew/ method is refused by JSON-RPC, and the server keeps serving',
  { timeout: scaled(60_000) },
  async () => {
    const err = await rejection(s.request('crew/noSuchThing', {}));
    assert.equal(err.code, -32601);
    const r = await s.request(P.EvalMaster.type, { code: '"still here"' });
    assert.equal(r.outcomes[0].value, "'still here'");
  },
);

test('a thrown non-Error and a rejected promise come back as error outcomes', { timeout: scaled(60_000) }, async () => {
  const thrown = await s.request(P.EvalMaster.type, { code: 'throw 42' });
  assert.equal(thrown.outcomes[0].ok, false);
  assert.match(thrown.outcomes[0].error.message, /42/);
  const rejected = await s.request(P.EvalMaster.type, { code: 'Promise.reject(new RangeError("too far"))' });
  assert.deepEqual([rejected.outcomes[0].error.name, rejected.outcomes[0].error.message], ['RangeError', 'too far']);
});

test('bad command lines exit with usage errors', { timeout: scaled(60_000) }, async () => {
  const { spawnSync } = await import('node:child_process');
  const { cli } = await import('./lsp-client.mjs');
  for (const [args, pattern] of [
    [[], /exactly one of --stdio or --port P/],
    [['--stdio', '--port', '1'], /exactly one of --stdio or --port P/],
    [['--port', 'x'], /--port must be a whole number/],
    [['--bogus'], /Unknown option '--bogus'/],
  ]) {
    const r = spawnSync(process.execPath, [cli, 'lsp', ...args], { encoding: 'utf8' });
    assert.equal(r.status, 2, `crew lsp ${args.join(' ')}`);
    assert.match(r.stderr, pattern);
  }
  const help = spawnSync(process.execPath, [cli, 'lsp', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Usage: crew lsp \(--stdio \| --port P/);
});
