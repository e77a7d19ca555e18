/**
 * The Crew Debugger page's script (webview.ts holds the page). Suspensions of several workers
 * at the same error in the same frame share one entry that lists the workers; its restarts
 * apply to all of them or to the one picked, and its frames and locals are those of the
 * picked worker (the first one still suspended, when all are picked).
 */
/**
 * The page's code, kept as plain ES2020 so it runs in any webview. Lines longer than 120 columns
 * are cut into concatenated String.raw pieces, so the text the page runs is unchanged.
 */
export const SCRIPT =
  String.raw`
const vscode = acquireVsCodeApi();
const entries = new Map();
const byId = new Map();
let nextReq = 1;
const waiting = new Map();
const showInternal = document.getElementById('show-internal');

function request(msg) {
  const reqId = nextReq++;
  return new Promise((resolve, reject) => {
    waiting.set(reqId, { resolve, reject });
    vscode.postMessage(Object.assign({ reqId }, msg));
  });
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function varRow(id, v) {
  const row = el('div', 'crew-var');
  row.dataset.name = v.name;
  const toggle = el('span', 'toggle', v.objectId ? '\u25B8' : ' ');
  row.append(toggle, el('span', 'name', v.name), document.createTextNode(' = '), el('span', 'value', v.value));
  if (v.objectId) {
    let open = null;
    toggle.addEventListener('click', async () => {
      if (open) { open.remove(); open = null; toggle.textContent = '\u25B8'; return; }
      toggle.textContent = '\u25BE';
      open = el('div', 'crew-vars');
      row.append(open);
      try {
        const values = await request({ type: 'properties', id, objectId: v.objectId });
        for (const child of values) open.append(varRow(id, child));
      } catch (err) { open.append(el('div', 'crew-status', String(err))); }
    });
  }
  return row;
}

async function expandFrame(entry, frame, box) {
  box.textContent = '';
  for (const scope of frame.scopes) {
    box.append(el('h3', 'crew-scope', scope.type === 'local' ? 'Locals' : ` +
  String.raw`scope.type === 'closure' ? 'Closure' + (scope.name ? ' (' + scope.name + ')' : '') : ` +
  String.raw`scope.type[0].toUpperCase() + scope.type.slice(1)));
    const vars = el('div', 'crew-vars');
    box.append(vars);
    try {
      const values = await request({ type: 'properties', id: current(entry).info.id, objectId: scope.objectId });
      for (const v of values) vars.append(varRow(current(entry).info.id, v));
      if (values.length === 0) vars.append(el('div', 'crew-status', '(none)'));
    } catch (err) { vars.append(el('div', 'crew-status', String(err))); }
  }
}

/** Suspensions at the same error in the same frame of the same form share an entry. */
function keyOf(info) {
  const top = info.frames.find((f) => !f.internal) || info.frames[0] || {};
  const c = info.condition;
  return [c.reason, c.name, c.message, c.form, top.file, top.line, top.column, top.functionName].join('\u0000');
}

/** The member whose frames the entry shows: the picked worker, else the first still suspended. */
function current(entry) {
  const live = entry.members.filter((m) => !m.ended);
  const picked = entry.target !== '*' && entry.members.find((m) => m.info.worker === entry.target);
  if (picked) return picked;
  return live[0] || entry.members[0];
}

function describeMembers(entry) {
  const workers = entry.members.map((m) => m.info.worker + (m.ended ? ' (ended: ' + m.ended + ')' : ''));
  const form = entry.members[0].info.condition.form;
  entry.meta.textContent = 'on worker' + (workers.length > 1 ? 's ' : ' ') + workers.join(', ') + ` +
  String.raw`(form ? '\nevaluating ' + form : '');
  const sel = entry.targetSel;
  sel.style.display = entry.members.length > 1 ? '' : 'none';
  const live = entry.members.filter((m) => !m.ended);
  sel.textContent = '';
  const all = el('option', '', 'all ' + live.length + ' workers');
  all.value = '*';
  sel.append(all);
  for (const m of live) {
    const o = el('option', '', m.info.worker);
    o.value = m.info.worker;
    sel.append(o);
  }
  sel.value = live.some((m) => m.info.worker === entry.target) ? entry.target : '*';
  entry.target = sel.value;
}

function render(entry) {
  const info = entry.members[0].info;
  const root = el('div', 'crew-entry');
  root.dataset.id = info.id;
  root.append(el('div', 'crew-condition', info.condition.name + ': ' + info.condition.message));
  entry.meta = el('div', 'crew-meta');
  root.append(entry.meta);
  const restarts = el('div', 'crew-restarts');
  const status = el('div', 'crew-status');
  const doRestart = async (restart) => {
    status.textContent = '';
    const live = entry.members.filter((m) => !m.ended);
    const targets = entry.target === '*' ? live : live.filter((m) => m.info.worker === entry.target);
    const done = [];
    for (const m of targets) {
      try {
        const r = await request({ type: 'restart', id: m.info.id, restart, frame: entry.selected });
        done.push((targets.length > 1 ? m.info.worker + ': ' : '') + r.how);
      } catch (err) { done.push(m.info.worker + ': ' + String(err.message || err)); }
    }
    if (!root.classList.contains('ended')) status.textContent = 'Restarted: ' + done.join('; ');
  };
  const button = (kind, label, title) => {
    const b = el('button', 'crew-restart', label);
    b.dataset.kind = kind;
    b.title = title;
    b.addEventListener('click', () => doRestart({ kind }));
    restarts.append(b);
    return b;
  };
  const exception = info.condition.reason === 'exception';
  button('abort', 'Abort', 'Fail the task: the caller gets a RemoteError');
  if (exception) {
    button('retry', 'Retry', 'Evaluate the same form again on this worker');
    button('retryElsewhere', 'Retry on another worker', 'Evaluate the same form on another worker');
  }
  button('continue', 'Continue', ` +
  String.raw`exception ? 'Let the error go on (your code may catch it)' : 'Let the evaluation run on');
  if (exception) {
    const value = el('input', 'crew-return-input');
    value.placeholder = 'value to return, e.g. 42';
    const ret = el('button', 'crew-restart', 'Return a value');
    ret.dataset.kind = 'return';
    ret.title = 'Make this expression (evaluated in the selected frame) the task result';
    ret.addEventListener('click', () => doRestart({ kind: 'return', expression: value.value || 'undefined' }));
    restarts.append(ret, value);
  }
  const attach = el('button', 'crew-attach', 'Open in VS Code Debugger');
  attach.title = 'Attach VS Code\'s own debugger to this worker through the master';
  attach.addEventListener('click', () => vscode.postMessage({ type: 'attach', worker: current(entry).info.worker }));
  entry.targetSel = el('select', 'crew-target');
  entry.targetSel.title = 'The workers the restarts apply to; frames and locals are those of the one picked';
  entry.targetSel.addEventListener('change', () => { entry.target = entry.targetSel.value; select(entry.selected); });
  restarts.append(attach, entry.targetSel);
  root.append(el('h3', '', 'Restarts'), restarts, status);

  root.append(el('h3', '', 'Backtrace'));
  const frames = el('div', 'crew-frames');
  const frameBox = el('div', 'crew-frame-vars');
  info.frames.forEach((f) => {
    const row = el('div', 'crew-frame' + (f.internal ? ' internal' : ''));
    row.dataset.index = String(f.index);
    row.append(document.createTextNode(f.index + ': ' + (f.functionName || '(anonymous)') + '  '));
    const loc = el('span', 'loc', (f.display || f.file) + ':' + f.line);
    loc.title = 'Open ' + f.file + ' at line ' + f.line;
    loc.addEventListener('click', (e) => { e.stopPropagation(); ` +
  String.raw`vscode.postMessage({ type: 'open', file: f.file, line: f.line, column: f.column }); });
    row.append(loc);
    row.addEventListener('click', () => select(f.index));
    frames.append(row);
  });
  root.append(frames, frameBox);

  const evalRow = el('div', 'crew-eval');
  const input = el('input', 'crew-eval-input');
  input.placeholder = 'Evaluate in the selected frame (Enter)';
  const result = el('div', 'crew-eval-result');
  input.addEventListener('keydown', async (e) => {
    if (e.key !== 'Enter' || !input.value) return;
    try {
      const v = await request({
        type: 'evaluate', id: current(entry).info.id, frame: entry.selected, expression: input.value,
      });
      result.textContent = input.value + ' => ' + v.value;
    } catch (err) { result.textContent = input.value + ' threw: ' + String(err.message || err); }
  });
  evalRow.append(input, result);
  root.append(el('h3', '', 'Evaluate in frame'), evalRow);

  function select(index) {
    entry.selected = index;
    for (const r of frames.children) r.classList.toggle('selected', Number(r.dataset.index) === index);
    const frame = current(entry).info.frames[index];
    if (frame) void expandFrame(entry, frame, frameBox);
  }
  entry.select = select;
  entry.root = root;
  entry.status = status;
  describeMembers(entry);
  applyInternal(root);
  const first = info.frames.find((f) => !f.internal) || info.frames[0];
  if (first) select(first.index);
  return root;
}

function applyInternal(root) {
  for (const r of root.querySelectorAll('.crew-frame.internal')) r.style.display = showInternal.checked ? '' : 'none';
}
showInternal.addEventListener('change', () => { for (const e of new Set(byId.values())) applyInternal(e.root); });

window.addEventListener('message', (event) => {
  const m = event.data;
  if (m.type === 'reply') {
    const w = waiting.get(m.reqId);
    waiting.delete(m.reqId);
    if (w) m.ok ? w.resolve(m.result) : w.reject(new Error(m.error));
  } else if (m.type === 'paused') {
    if (byId.has(m.info.id)) return;
    const key = keyOf(m.info);
    const same = entries.get(key);
    if (same && same.members.some((x) => !x.ended)) {
      same.members.push({ info: m.info });
      byId.set(m.info.id, same);
      describeMembers(same);
      return;
    }
    const entry = { key, members: [{ info: m.info }], selected: 0, target: '*' };
    entries.set(key, entry);
    byId.set(m.info.id, entry);
    document.getElementById('entries').prepend(render(entry));
    document.getElementById('empty').style.display = 'none';
  } else if (m.type === 'resumed') {
    const entry = byId.get(m.id);
    const member = entry && entry.members.find((x) => x.info.id === m.id);
    if (!member || member.ended) return;
    const shown = current(entry);
    member.ended = m.how;
    describeMembers(entry);
    if (entry.members.some((x) => !x.ended)) {
      if (shown === member) entry.select(entry.selected);
      return;
    }
    entry.root.classList.add('ended');
    entry.status.textContent = 'Ended: ' + m.how;
    for (const b of entry.root.querySelectorAll('button, input, select')) b.disabled = true;
  }
});
vscode.postMessage({ type: 'ready' });
`;
