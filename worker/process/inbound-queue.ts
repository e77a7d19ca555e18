/**
 * A link's messages, handled in the order they came. Most are handled as they arrive. A
 * frame of many tasks is handed to the eval thread in slices (`Defaults.maxTasksPerSlice`
 * tasks or forms each), and after each `Defaults.inboundSliceMs` of such work the event loop
 * gets a turn: a frame of a million tasks used to hold the worker's main thread for seconds,
 * while every other session's frames and heartbeats waited. While a frame is being sliced,
 * the link's later messages wait behind it, so that their order holds.
 */
import { Defaults } from '../../protocol/limits';
import type { FormDef } from '../../protocol/messages/worker-link-messages';
import { Queue } from '../../protocol/queue';

/** Finds a form of the frame a task came in by its id. */
export type FormFinder = (id: number) => FormDef | undefined;

/** A scan for the few forms a frame usually holds, a table for many. */
export function formFinder(forms: readonly FormDef[]): FormFinder {
  if (forms.length <= 8) return (id) => forms.find((f) => f.id === id);
  const byId = new Map(forms.map((f) => [f.id, f]));
  return (id) => byId.get(id);
}

/** What handling one message left to do: each step is one slice. */
export type Steps = Iterator<void, void>;

export class InboundQueue<M> {
  private readonly waiting = new Queue<M>();
  /** The message being handled, and the steps it has left. */
  private current?: M;
  private steps?: Steps;
  private turn?: NodeJS.Immediate;

  /**
   * @param handle handles a message, returning the steps left when it has more to do.
   * @param failed told of a message whose handling (or one of its steps) threw.
   */
  constructor(
    private readonly handle: (m: M) => Steps | undefined,
    private readonly failed: (m: M, err: Error) => void,
  ) {}

  /** A message from the link: handled now, unless earlier ones are still being handled. */
  push(m: M): void {
    if (this.steps || this.waiting.length > 0) this.waiting.push(m);
    else this.start(m);
    if (this.steps || this.waiting.length > 0) this.schedule();
  }

  /** The link ended: what it sent and was not handled is dropped, as if it had never come. */
  clear(): void {
    this.waiting.clear();
    this.steps = undefined;
    if (this.turn) clearImmediate(this.turn);
    this.turn = undefined;
  }

  private start(m: M): void {
    this.current = m;
    try {
      this.steps = this.handle(m);
    } catch (err) {
      this.failed(m, err as Error);
    }
    if (this.steps) this.step();
  }

  private step(): void {
    try {
      if (!this.steps!.next().done) return;
    } catch (err) {
      this.failed(this.current!, err as Error);
    }
    this.steps = undefined;
  }

  private schedule(): void {
    this.turn ??= setImmediate(() => {
      this.turn = undefined;
      const until = performance.now() + Defaults.inboundSliceMs;
      do {
        if (this.steps) this.step();
        else {
          const m = this.waiting.shift();
          if (m === undefined) return;
          this.start(m);
        }
      } while (performance.now() < until);
      if (this.steps || this.waiting.length > 0) this.schedule();
    });
  }
}
