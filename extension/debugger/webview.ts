/**
 * The Crew Debugger's page. Plain DOM, no framework: one section per suspension, SLDB's
 * layout (condition, restarts, backtrace), frames that expand to scopes and objects on
 * demand, and an evaluate-in-frame box for the selected frame.
 */
import { randomBytes } from 'node:crypto';
import { SCRIPT } from './webview-script';

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
  .crew-target { margin-left: 6px; }
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
