/**
 * A value that cannot cross the wire, as the worker printed it, for evaluations a person waits
 * for (SLIME prints `#<FUNCTION …>` the same way). A task marked `printable` (the REPL, the
 * editor, notebooks) gets a function, say, back as `[Function: f]` instead of failing with
 * `CREW_NOT_SERIALIZABLE`; the library API keeps that error, since its caller wants the value.
 */
import { inspect } from 'node:util';
import { boundedInspect, type ViewLimits } from './value-view';

/** How much of such a value the worker prints: as much as the editor's full print shows. */
const PRINT_LIMITS: ViewLimits = { depth: 6, items: 200, stringChars: 20_000, nodes: 5_000, chars: 200_000 };

/** The worker's print of a value it could not send. */
export function printForMaster(value: unknown): string {
  return boundedInspect(value, PRINT_LIMITS);
}

/** On the master: a value a worker could not send, printed there; it prints as that text, unquoted. */
export class PrintedValue {
  constructor(readonly text: string) {}

  [inspect.custom](): string {
    return this.text;
  }

  toString(): string {
    return this.text;
  }
}
