/**
 * Asks the master for the images' names once after each evaluation, when every worker is idle
 * again, so that the first completion typed after it is answered from the master's cache
 * instead of waiting on the workers (a loaded machine can take longer than completion waits).
 * One question per finished evaluation, never while a worker runs something.
 */
import type * as vscode from 'vscode';
import { ImageComplete } from '../protocol/messages/lsp-image-messages';
import type { WorkersState } from '../protocol/messages/lsp-messages';
import type { CrewClient } from './client';

/** Workers-changed notifications come in bursts as results arrive: the question waits for the last. */
const SETTLE_MS = 250;

export function warmImageNames(crew: CrewClient): vscode.Disposable {
  let timer: NodeJS.Timeout | undefined;
  let lastAsked = '';
  const subscription = crew.onDidChangeWorkers((state: WorkersState) => {
    clearTimeout(timer);
    if (!state.started || state.workers.length === 0) return;
    if (state.workers.some((w) => w.inFlight > 0 || w.state !== 'ready')) return;
    // Each worker's count of finished tasks says whether its image may have changed.
    const generation = state.workers.map((w) => `${w.id}:${w.tasksDone}`).join(' ');
    if (generation === lastAsked) return;
    timer = setTimeout(() => {
      if (crew.state !== 'running') return;
      lastAsked = generation;
      crew.request(ImageComplete.type, { context: 'name' }).catch(() => undefined);
    }, SETTLE_MS);
  });
  return {
    dispose() {
      clearTimeout(timer);
      subscription.dispose();
    },
  };
}
