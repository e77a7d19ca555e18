/**
 * The Inspector view (*Crew: Inspect*), after SLIME's inspector: a value is opened on each
 * worker where it lives and walked lazily. Nothing is fetched before a node is expanded; a
 * node with many children shows ranges of ranges, as VS Code's debugger does, so a Map of a
 * million entries opens a page of 100 at a time. The values stay on their workers behind
 * handles, released when an inspection is closed or the view cleared.
 */
import * as vscode from 'vscode';
import {
  InspectChildOpen,
  InspectOpen,
  InspectPageRead,
  InspectRelease,
  type InspectChild,
  type InspectHeld,
  type InspectNode,
} from '../protocol/messages/lsp-inspect-messages';
import type { CrewClient } from './client';

/** Children per page, and per level of ranges. */
const PAGE = 100;

interface Root {
  type: 'root';
  worker: string;
  expression: string;
  opened?: Opened;
  /** Every handle opened under this root, all on its worker. */
  handles: number[];
}
interface Opened {
  held: InspectHeld;
  total: number;
}
interface Range {
  type: 'range';
  root: Root;
  opened: Opened;
  start: number;
  end: number;
}
interface Child {
  type: 'child';
  root: Root;
  parent: InspectHeld;
  child: InspectChild;
  opened?: Opened;
}
interface Message {
  type: 'message';
  text: string;
}
export type InspectorNode = Root | Range | Child | Message;

export class InspectorView implements vscode.TreeDataProvider<InspectorNode>, vscode.Disposable {
  private roots: Root[] = [];
  private readonly changed = new vscode.EventEmitter<InspectorNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly crew: CrewClient) {}

  /** Adds an inspection of `expression` on each of `workers`, newest first; opened when expanded. */
  add(expression: string, workers: string[]): void {
    const added = workers.map((worker): Root => ({ type: 'root', worker, expression, handles: [] }));
    this.roots = [...added, ...this.roots];
    this.changed.fire(undefined);
  }

  /** Lets one inspection go, or all of them, releasing their handles on the workers. */
  async close(root?: Root): Promise<void> {
    const closing = root ? [root] : this.roots;
    this.roots = root ? this.roots.filter((r) => r !== root) : [];
    this.changed.fire(undefined);
    await Promise.all(closing.map((r) => this.release(r)));
  }

  /** Asks again where a node failed (a busy worker, say): nodes already open keep their handles. */
  refresh(): void {
    this.changed.fire(undefined);
  }

  private async release(root: Root): Promise<void> {
    const handles = root.handles.splice(0);
    if (handles.length === 0 || this.crew.state !== 'running') return;
    await this.crew.request(InspectRelease.type, { worker: root.worker, handles }).catch(() => undefined);
  }

  getTreeItem(node: InspectorNode): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    switch (node.type) {
      case 'root': {
        const item = new vscode.TreeItem(`${node.worker} · ${node.expression}`, C.Collapsed);
        item.contextValue = 'crewInspection';
        item.iconPath = new vscode.ThemeIcon('symbol-object');
        if (node.opened) item.description = `${node.opened.total} children`;
        return item;
      }
      case 'range':
        return new vscode.TreeItem(`[${node.start} … ${node.end - 1}]`, C.Collapsed);
      case 'child': {
        const item = new vscode.TreeItem(node.child.name, node.child.expandable ? C.Collapsed : C.None);
        item.description = node.child.summary;
        item.tooltip = `${node.child.kind}: ${node.child.summary}`;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, C.None);
        item.iconPath = new vscode.ThemeIcon('warning');
        item.tooltip = node.text;
        return item;
      }
    }
  }

  async getChildren(node?: InspectorNode): Promise<InspectorNode[]> {
    if (!node) return this.roots;
    try {
      switch (node.type) {
        case 'root':
          node.opened ??= this.keep(
            node,
            await this.crew.request(InspectOpen.type, { worker: node.worker, expression: node.expression }),
          );
          return this.ranges(node, node.opened, 0, node.opened.total);
        case 'range':
          return this.ranges(node.root, node.opened, node.start, node.end);
        case 'child':
          node.opened ??= this.keep(
            node.root,
            await this.crew.request(InspectChildOpen.type, { ...node.parent, index: node.child.index }),
          );
          return this.ranges(node.root, node.opened, 0, node.opened.total);
        case 'message':
          return [];
      }
    } catch (err) {
      return [{ type: 'message', text: (err as Error).message }];
    }
  }

  private keep(root: Root, node: InspectNode): Opened {
    root.handles.push(node.handle);
    return { held: { worker: root.worker, handle: node.handle, thread: node.thread }, total: node.total };
  }

  /** The children from `start` to `end`: a page of them, or ranges of at most {@link PAGE} ranges. */
  private async ranges(root: Root, opened: Opened, start: number, end: number): Promise<InspectorNode[]> {
    const n = end - start;
    if (n <= PAGE) {
      const page = await this.crew.request(InspectPageRead.type, { ...opened.held, offset: start, count: n || 1 });
      return page.children.map((child): Child => ({ type: 'child', root, parent: opened.held, child }));
    }
    let size = PAGE;
    while (n / size > PAGE) size *= PAGE;
    const ranges: Range[] = [];
    for (let s = start; s < end; s += size)
      ranges.push({ type: 'range', root, opened, start: s, end: Math.min(end, s + size) });
    return ranges;
  }

  dispose(): void {
    void this.close();
    this.changed.dispose();
  }
}
