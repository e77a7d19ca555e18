// Files another user could plant or change: CL-MW's resource file and the shared secret.
// Another user pre-created `shared/job.rsc` (theirs, mode 0666) and startMaster wrote into
// it, following symbolic links, so they could change the port and receive the user's
// workers; a secret file of theirs, or one others could read, was used with no word (a
// failed chmod was ignored). Now the master writes its resource file to a new 0600 file
// renamed into place and refuses a target or folder another user controls; workers refuse
// a resource file that is not their own or that others may change; and a secret file that
// is another user's, readable by group or others, or a symbolic link is refused, as ssh
// refuses such keys. The other user is uid 65534, played with setpriv, so this needs root.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lchownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { ErrorCodes, startMaster } from 'crew';
import { cli, root, SECRET } from '../helpers.mjs';

const OTHER = 65534;
const AS_OTHER = ['--reuid', String(OTHER), '--regid', String(OTHER), '--clear-groups'];
const skip =
  process.platform !== 'linux'
    ? 'needs Linux file ownership'
    : process.getuid() !== 0
      ? 'needs root, to act as a second user (uid 65534) with setpriv'
      : spawnSync('setpriv', ['--version']).error
        ? 'needs setpriv (util-linux), to act as a second user'
        : false;

// Every folder below is under one base that uid 65534 may pass through.
const base = skip ? '' : mkdtempSync(join(tmpdir(), 'crew-attack-files-'));
if (!skip) chmodSync(base, 0o755);
const children = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
  if (base) spawnSync('rm', ['-rf', base]);
});

/** Runs a shell command as the other user, with umask 0 so that modes are exactly as given. */
function asOther(script) {
  const r = spawnSync('setpriv', [...AS_OTHER, 'sh', '-c', `umask 0; ${script}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, `as uid ${OTHER}: ${script}\n${r.stderr}`);
}

/** A new folder under the base with this mode and owner. */
function folder(name, mode, uid = 0) {
  const dir = join(base, name);
  mkdirSync(dir);
  chmodSync(dir, mode);
  chownSync(dir, uid, uid);
  return dir;
}

/** A `crew worker` (as root, or as the other user), its environment without CREW_SECRET unless given. */
function worker(args, { env = {}, asOtherUser = false } = {}) {
  const { CREW_SECRET: _drop, ...rest } = process.env;
  const command = [process.execPath, cli, 'worker', ...args, '--audit-file', 'none'];
  const child = asOtherUser
    ? spawn('setpriv', [...AS_OTHER, ...command], { env: { ...rest, ...env }, cwd: base })
    : spawn(command[0], command.slice(1), { env: { ...rest, ...env } });
  children.push(child);
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.stdout.resume();
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  return { child, exited, stderr: () => stderr };
}

/** A worker that should refuse to start: its exit, or `code: null` if it ran on for 15 s (then killed). */
async function refusal(args, opts) {
  const w = worker(args, opts);
  const timer = setTimeout(() => process.kill(w.child.pid, 'SIGKILL'), 15_000);
  const r = await w.exited;
  clearTimeout(timer);
  return r;
}

const resourceJson = JSON.stringify({ host: '127.0.0.1', port: 1, member: 'job' });
const modeOf = (file) => lstatSync(file).mode & 0o7777;
const master = (resourceFile) => startMaster({ secret: SECRET, resourceFile, audit: { to: 'none' } });

test('a resource file another user made first is refused, and left as it was', { skip }, async () => {
  const shared = folder('shared', 0o1777);
  const file = join(shared, 'job.rsc');
  asOther(`echo '{"host":"127.0.0.1","port":1}' > ${file} && chmod 666 ${file}`);
  await assert.rejects(master(file), (err) => {
    assert.equal(err.code, ErrorCodes.BadArgument);
    assert.match(err.message, new RegExp(`refusing to write the resource file ${file}: it is owned by uid ${OTHER}`));
    return true;
  });
  assert.equal(lstatSync(file).uid, OTHER);
  assert.equal(modeOf(file), 0o666);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).port, 1);
});

test(
  "a resource file that is another user's symbolic link is refused, and its target is not written",
  { skip },
  async () => {
    const shared = folder('shared-link', 0o1777);
    const mine = join(base, 'mine.txt');
    writeFileSync(mine, 'keep\n', { mode: 0o600 });
    const file = join(shared, 'job.rsc');
    asOther(`ln -s ${mine} ${file}`);
    await assert.rejects(master(file), (err) => {
      assert.equal(err.code, ErrorCodes.BadArgument);
      assert.match(err.message, /refusing to write the resource file .*job\.rsc: it is a symbolic link/);
      return true;
    });
    assert.equal(readFileSync(mine, 'utf8'), 'keep\n');
  },
);

test('a resource file in a folder another user owns, or anyone may write unsticky, is refused', { skip }, async () => {
  const theirs = folder('theirs', 0o777, OTHER);
  await assert.rejects(master(join(theirs, 'job.rsc')), (err) => {
    assert.equal(err.code, ErrorCodes.BadArgument);
    assert.match(err.message, new RegExp(`its folder ${theirs} is owned by uid ${OTHER}, who could replace the file`));
    return true;
  });
  const open = folder('open', 0o777);
  await assert.rejects(master(join(open, 'job.rsc')), (err) => {
    assert.match(err.message, /its folder .*open \(mode 0777\) is writable by others and not sticky/);
    return true;
  });
});

test(
  'own and sticky folders keep working; an old file of ours is replaced, not written through',
  { skip },
  async () => {
    const own = folder('own', 0o700);
    const file = join(own, 'job.rsc');
    writeFileSync(file, 'old\n', { mode: 0o644 });
    const other = join(own, 'other-name');
    linkSync(file, other);
    const pool = await master(file);
    try {
      assert.equal(JSON.parse(readFileSync(file, 'utf8')).port, pool.listenAddress.port);
      assert.equal(modeOf(file), 0o600, 'the old mode does not carry over');
      assert.equal(readFileSync(other, 'utf8'), 'old\n', 'the old file was replaced, not written into');
    } finally {
      await pool.close();
    }
    const sticky = folder('sticky', 0o1777);
    const pool2 = await master(join(sticky, 'job.rsc'));
    await pool2.close();
    assert.equal(modeOf(join(sticky, 'job.rsc')), 0o600);
  },
);

test('as a second user, a master writes its resource file in a sticky folder and in its own', { skip }, async () => {
  const sticky = folder('sticky-2', 0o1777);
  const own = folder('own-2', 0o755, OTHER);
  const script = `
    import { startMaster } from ${JSON.stringify(pathToFileURL(join(root, 'dist', 'index.js')).href)};
    import { lstatSync } from 'node:fs';
    const out = [];
    for (const file of process.argv.slice(1)) {
      const pool = await startMaster({ secret: ${JSON.stringify(SECRET)}, resourceFile: file, audit: { to: 'none' } });
      await pool.close();
      const st = lstatSync(file);
      out.push({ uid: st.uid, mode: st.mode & 0o7777 });
    }
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(
    'setpriv',
    [...AS_OTHER, process.execPath, '--input-type=module', '-e', script, join(sticky, 'job.rsc'), join(own, 'job.rsc')],
    { encoding: 'utf8', cwd: base, timeout: 30_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [
    { uid: OTHER, mode: 0o600 },
    { uid: OTHER, mode: 0o600 },
  ]);
});

test(
  "a worker refuses a resource file of another user's, one others may change, or a symbolic link",
  { skip },
  async () => {
    const shared = folder('shared-read', 0o1777);
    const theirs = join(shared, 'job.rsc');
    asOther(`echo '${resourceJson}' > ${theirs} && chmod 644 ${theirs}`);
    const a = await refusal(['--resource-file', theirs]);
    assert.equal(a.code, 1, a.stderr);
    assert.match(
      a.stderr,
      new RegExp(`refusing the resource file ${theirs}: it is owned by uid ${OTHER}, not by this user \\(uid 0\\)`),
    );

    const own = folder('own-read', 0o755);
    const writable = join(own, 'writable.rsc');
    writeFileSync(writable, resourceJson);
    chmodSync(writable, 0o666);
    const b = await refusal(['--resource-file', writable]);
    assert.equal(b.code, 1, b.stderr);
    assert.match(b.stderr, /its mode is 0666: group and others can change it; run chmod 600 .*writable\.rsc/);

    const good = join(own, 'good.rsc');
    writeFileSync(good, resourceJson, { mode: 0o644 });
    const link = join(own, 'link.rsc');
    symlinkSync(good, link);
    lchownSync(link, OTHER, OTHER);
    const c = await refusal(['--resource-file', link]);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, /refusing the resource file .*link\.rsc: it is a symbolic link owned by uid 65534/);

    // From the other side: a worker of uid 65534 trusts root's file as ssh does (root could
    // change anything of its anyway), but not one root lets its group change.
    chmodSync(good, 0o664);
    const d = await refusal(['--resource-file', good], { asOtherUser: true, env: { CREW_SECRET: SECRET } });
    assert.equal(d.code, 1, d.stderr);
    assert.match(d.stderr, /its mode is 0664: group can change it/);
  },
);

test('a secret file another user placed in a shared XDG_CONFIG_HOME is refused', { skip }, async () => {
  const shared = folder('config', 0o1777);
  const file = join(shared, 'crew', 'secret');
  asOther(`mkdir -m 755 ${shared}/crew && echo their-secret-0123456789abcdef > ${file} && chmod 644 ${file}`);
  const r = await refusal(['--connect', '127.0.0.1:1'], { env: { XDG_CONFIG_HOME: shared } });
  assert.equal(r.code, 3, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`refusing the secret file ${file}: it is owned by uid ${OTHER}.*\\[CREW_SECRET\\]`),
  );

  // The same through the API, with the secret from the default file.
  const saved = { xdg: process.env.XDG_CONFIG_HOME, secret: process.env.CREW_SECRET };
  process.env.XDG_CONFIG_HOME = shared;
  delete process.env.CREW_SECRET;
  try {
    await assert.rejects(startMaster({ audit: { to: 'none' } }), (err) => {
      assert.equal(err.code, ErrorCodes.Secret);
      assert.match(err.message, /refusing the secret file .*owned by uid 65534/);
      return true;
    });
  } finally {
    for (const [k, v] of [
      ['XDG_CONFIG_HOME', saved.xdg],
      ['CREW_SECRET', saved.secret],
    ])
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
  assert.equal(modeOf(file), 0o644, 'nothing was chmod-ed');
});

test(
  'a --secret-file others can read, of another user, or reached by a link is refused, and not chmod-ed',
  { skip },
  async () => {
    const own = folder('secrets', 0o755);
    const readable = join(own, 'readable');
    writeFileSync(readable, 'my-secret-0123456789abcdef\n');
    chmodSync(readable, 0o640);
    const r = await refusal(['--connect', '127.0.0.1:1', '--secret-file', readable]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /refusing the secret file .*readable: its mode is 0640: group can read it; run chmod 600 .*readable/,
    );
    assert.equal(modeOf(readable), 0o640, 'the mode was left for the user to fix');
    await assert.rejects(startMaster({ secretFile: readable, audit: { to: 'none' } }), { code: ErrorCodes.Secret });

    const theirs = join(own, 'theirs');
    writeFileSync(theirs, 'their-secret-0123456789abcdef\n', { mode: 0o600 });
    chownSync(theirs, OTHER, OTHER);
    await assert.rejects(startMaster({ secretFile: theirs, audit: { to: 'none' } }), (err) => {
      assert.equal(err.code, ErrorCodes.Secret);
      assert.match(
        err.message,
        /refusing the secret file .*theirs: it is owned by uid 65534, not by this user \(uid 0\)/,
      );
      return true;
    });

    const good = join(own, 'good');
    writeFileSync(good, 'my-secret-0123456789abcdef\n', { mode: 0o600 });
    const link = join(own, 'link');
    symlinkSync(good, link);
    lchownSync(link, OTHER, OTHER);
    await assert.rejects(startMaster({ secretFile: link, audit: { to: 'none' } }), (err) => {
      assert.equal(err.code, ErrorCodes.Secret);
      assert.match(err.message, /refusing the secret file .*link: it is a symbolic link owned by uid 65534/);
      return true;
    });
    // A link of this user's own (as Kubernetes mounts a Secret's files) leads to the file.
    const mine = join(own, 'mine');
    symlinkSync(good, mine);
    const linked = await startMaster({ secretFile: mine, audit: { to: 'none' } });
    await linked.close();
    const pool = await startMaster({ secretFile: good, audit: { to: 'none' } });
    await pool.close();
  },
);

test(
  'as a second user, a worker joins with its own 0600 secret file, and refuses a default one root left readable by all',
  { skip },
  async () => {
    const home = folder('home-2', 0o755, OTHER);
    const file = join(home, 'secret');
    asOther(`echo ${SECRET} > ${file} && chmod 600 ${file}`);
    const pool = await startMaster({ secret: SECRET, audit: { to: 'none' } });
    const w = worker(
      ['--connect', `127.0.0.1:${pool.listenAddress.port}`, '--secret-file', file, '--name', 'other-user'],
      {
        asOtherUser: true,
      },
    );
    try {
      await pool.waitForWorkers(1, 15_000);
      assert.equal(pool.workers[0].name, 'other-user');
    } finally {
      await pool.close();
      if (w.child.exitCode === null) process.kill(w.child.pid, 'SIGKILL');
    }

    const shared = folder('config-2', 0o1777);
    mkdirSync(join(shared, 'crew'), { mode: 0o755 });
    writeFileSync(join(shared, 'crew', 'secret'), `${SECRET}\n`, { mode: 0o644 });
    const r = await refusal(['--connect', '127.0.0.1:1'], { env: { XDG_CONFIG_HOME: shared }, asOtherUser: true });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /refusing the secret file .*crew\/secret: its mode is 0644: others can read it/);
  },
);
