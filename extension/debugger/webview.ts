/**
 * The Crew Debugger's page. Plain DOM, no framework: one section per suspension, SLDB's
 * layout (condition, restarts, backtrace), frames that expand to scopes and objects on
 * demand, and an evaluate-in-frame box for the selected frame.
 */
import { randomBytes } from 'node:crypto';

export function debuggerHtml(cspSource: string): string {
  const nonce = randomBytes(16).toString('base64');
  return (
    `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; ` +
    `style-src ${cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<title>Crew Debugger</title>
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); ` +
    `color: var(--vscode-foreground); padding: 0 12px; }
  .crew-entry { border-bottom: 1px solid var(--vscode-panel-border); padding: 8px 0 12px; }
  .crew-entry.ended { opacity: 0.6; }
  .crew-condition { font-weight: bold; color: var(--vscode-errorForeground); margin: 4px 0; }
  .crew-meta { color: var(--vscode-descriptionForeground); margin-bottom: 6px; white-space: pre-wrap; }
  .crew-restarts button { margin: 2px 4px 2px 0; }
  .crew-frame { cursor: pointer; padding: 1px 4px; font-family: var(--vscode-editor-font-family); }
  .crew-frame.selected { background: var(--vscode-list-activeSelectionBackground); ` +
    `color: var(--vscode-list-activeSelectionForeground); }
  .crew-frame.internal { color: var(--vscode-descriptionForeground); }
  .crew-frame .loc { text-decoration: underline; color: var(--vscode-textLink-foreground); }
  .crew-vars { margin-left: 18px; font-family: var(--vscode-editor-font-family); }
  .crew-var .toggle { cursor: pointer; display: inline-block; width: 1em; }
  .crew-var .name { color: var(--vscode-symbolIcon-variableForeground, var(--vscode-foreground)); }
  .crew-eval-result, .crew-status { font-family: var(--vscode-editor-font-family); ` +
    `white-space: pre-wrap; margin-top: 4px; }
  .crew-status { color: var(--vscode-descriptionForeground); }
  input { background: var(--vscode-input-background); color: var(--vscode-input-foreground); ` +
    `border: 1px solid var(--vscode-input-border, transparent); padding: 2px 4px; }
  .crew-eval-input { width: 60%; }
  h3 { margin: 8px 0 2px; font-size: 1em; }
  #empty { color: var(--vscode-descriptionForeground); margin-top: 12px; }
</style></head>
<body>
<label><input type="checkbox" id="show-internal"> Show Node and Crew frames</label>
<div id="empty">No worker is suspended.</div>
<div id="entries"></div>
<script nonce="${nonce}">
${SCRIPT}
</script>
</body></html>`
  );
}

/**
 * The page's code, kept as plain ES2020 so it runs in any webview. Lines longer than 120 columns
 * are cut into concatenated String.raw pieces, so the text the page runs is unchanged.
 */
const SCRIPT =
  String.raw`
const vscode = acquireVsCodeApi();
const entries = new Map();
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
      const values = await request({ type: 'properties', id: entry.info.id, objectId: scope.objectId });
      for (const v of values) vars.append(varRow(entry.info.id, v));
      if (values.length === 0) vars.append(el('div', 'crew-status', '(none)'));
    } catch (err) { vars.append(el('div', 'crew-status', String(err))); }
  }
}

function render(entry) {
  const { info } = entry;
  const root = el('div', 'crew-entry');
  root.dataset.id = info.id;
  root.append(el('div', 'crew-condition', info.condition.name + ': ' + info.condition.message));
  root.append(el('div', 'crew-meta', 'on worker ' + info.worker + ` +
  String.raw`(info.condition.form ? '\nevaluating ' + info.condition.form : '')));
  const restarts = el('div', 'crew-restarts');
  const status = el('div', 'crew-status');
  const doRestart = async (restart) => {
    status.textContent = '';
    try {
      const r = await request({ type: 'restart', id: info.id, restart, frame: entry.selected });
      if (!root.classList.contains('ended')) status.textContent = 'Restarted: ' + r.how;
    } catch (err) { status.textContent = String(err.message || err); }
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
  attach.addEventListener('click', () => vscode.postMessage({ type: 'attach', worker: info.worker }));
  restarts.append(attach);
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
      const v = await request({ type: 'evaluate', id: info.id, frame: entry.selected, expression: input.value });
      result.textContent = input.value + ' => ' + v.value;
    } catch (err) { result.textContent = input.value + ' threw: ' + String(err.message || err); }
  });
  evalRow.append(input, result);
  root.append(el('h3', '', 'Evaluate in frame'), evalRow);

  function select(index) {
    entry.selected = index;
    for (const r of frames.children) r.classList.toggle('selected', Number(r.dataset.index) === index);
    void expandFrame(entry, info.frames[index], frameBox);
  }
  entry.root = root;
  entry.status = status;
  applyInternal(root);
  const first = info.frames.find((f) => !f.internal) || info.frames[0];
  if (first) select(first.index);
  return root;
}

function applyInternal(root) {
  for (const r of root.querySelectorAll('.crew-frame.internal')) r.style.display = showInternal.checked ? '' : 'none';
}
showInternal.addEventListener('change', () => { for (const e of entries.values()) applyInternal(e.root); });

window.addEventListener('message', (event) => {
  const m = event.data;
  if (m.type === 'reply') {
    const w = waiting.get(m.reqId);
    waiting.delete(m.reqId);
    if (w) m.ok ? w.resolve(m.result) : w.reject(new Error(m.error));
  } else if (m.type === 'paused') {
    if (entries.has(m.info.id)) return;
    const entry = { info: m.info, selected: 0 };
    entries.set(m.info.id, entry);
    document.getElementById('entries').prepend(render(entry));
    document.getElementById('empty').style.display = 'none';
  } else if (m.type === 'resumed') {
    const entry = entries.get(m.id);
    if (!entry) return;
    entry.root.classList.add('ended');
    entry.status.textContent = 'Ended: ' + m.how;
    for (const b of entry.root.querySelectorAll('button, input')) b.disabled = true;
  }
});
vscode.postMessage({ type: 'ready' });
`;
