/**
 * The live images in the editor, as Calva and SLIME give them: completion of the names the
 * workers and the master define (merged by VS Code with TypeScript's own), a name's live
 * value on each worker on hover, and a live function's parameters as its arguments are typed.
 * Only a running master is asked; none is started for this.
 */
import * as vscode from 'vscode';
import {
  ImageComplete,
  ImageDescribe,
  type ImageCompletion,
  type ImageDescribeResult,
  type ImageMissing,
} from '../protocol/messages/lsp-image-messages';
import type { CrewClient } from './client';
import { callAt, completionAt, pathEndingAt } from './image-text';
import { warmImageNames } from './image-warm';

/** TypeScript and JavaScript files, and notebook cells in those languages. */
const SELECTOR: vscode.DocumentSelector = ['typescript', 'javascript', 'typescriptreact', 'javascriptreact'].map(
  (language) => ({ language }),
);

/** Registers completion, hover and signature help from the live images. */
export function registerImageEditor(crew: CrewClient): vscode.Disposable[] {
  const running = () => crew.state === 'running';
  return [
    warmImageNames(crew),
    vscode.languages.registerCompletionItemProvider(
      SELECTOR,
      {
        async provideCompletionItems(doc, pos, token) {
          const asked = running() ? completionAt(doc.lineAt(pos.line).text.slice(0, pos.character)) : undefined;
          if (!asked) return undefined;
          const r = await crew.request(ImageComplete.type, asked, token).catch(() => undefined);
          if (!r || token.isCancellationRequested) return undefined;
          const items = r.items.map((i) => completionItem(i, asked.context === 'member'));
          // Busy or slow workers may define more, as may names left out: VS Code asks again as the user types.
          return new vscode.CompletionList(items, r.missing.length > 0 || r.truncated === true);
        },
      },
      '.',
      '"',
      "'",
    ),
    vscode.languages.registerHoverProvider(SELECTOR, {
      async provideHover(doc, pos, token) {
        const word = running() ? doc.getWordRangeAtPosition(pos, /[A-Za-z_$][\w$]*/) : undefined;
        if (!word) return undefined;
        const path = pathEndingAt(doc.lineAt(pos.line).text.slice(0, word.end.character));
        if (!path) return undefined;
        const r = await crew.request(ImageDescribe.type, { path }, token).catch(() => undefined);
        if (!r || r.values.length === 0) return undefined;
        return new vscode.Hover(hoverText(path.join('.'), r), word);
      },
    }),
    vscode.languages.registerSignatureHelpProvider(
      SELECTOR,
      {
        async provideSignatureHelp(doc, pos, token) {
          const call = running() ? callAt(doc.lineAt(pos.line).text.slice(0, pos.character)) : undefined;
          if (!call) return undefined;
          const r = await crew.request(ImageDescribe.type, { path: call.path }, token).catch(() => undefined);
          if (!r?.signature) return undefined;
          const { name, params } = r.signature;
          const info = new vscode.SignatureInformation(
            `${name}(${params.join(', ')})`,
            `live on ${r.values.flatMap((v) => v.where).join(', ')}`,
          );
          let at = name.length + 1;
          info.parameters = params.map((p) => {
            const label: [number, number] = [at, at + p.length];
            at += p.length + 2;
            return new vscode.ParameterInformation(label);
          });
          const help = new vscode.SignatureHelp();
          help.signatures = [info];
          help.activeSignature = 0;
          help.activeParameter = Math.min(call.active, Math.max(0, params.length - 1));
          return help;
        },
      },
      '(',
      ',',
    ),
  ];
}

function completionItem(i: ImageCompletion, member: boolean): vscode.CompletionItem {
  const item = new vscode.CompletionItem(
    {
      label: i.label,
      detail: i.params ? `(${i.params.join(', ')})` : undefined,
      description: i.where.join(', '),
    },
    itemKind(i.kind, member),
  );
  item.detail = `${i.kind} · live on ${i.where.join(', ')}`;
  return item;
}

function itemKind(kind: string, member: boolean): vscode.CompletionItemKind {
  const K = vscode.CompletionItemKind;
  if (kind === 'class') return K.Class;
  if (/function/.test(kind)) return member ? K.Method : K.Function;
  if (kind === 'getter' || kind === 'setter') return K.Property;
  if (kind === 'agent name' || kind === 'string') return member ? K.Field : K.Value;
  return member ? K.Field : K.Variable;
}

function hoverText(name: string, r: ImageDescribeResult): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${name}** · live value\n\n`);
  for (const v of r.values) {
    md.appendMarkdown(`**${v.where.join(', ')}** · ${v.kind}\n`);
    md.appendCodeblock(v.printed, 'javascript');
  }
  const missing = notHeard(r.missing);
  if (missing) md.appendMarkdown(`\n_${missing}_`);
  return md;
}

function notHeard(missing: ImageMissing[]): string {
  const say = { busy: 'busy', slow: 'did not answer in time', error: 'could not answer' } as const;
  return missing.map((m) => `${m.worker} ${say[m.why]}`).join(', ');
}
