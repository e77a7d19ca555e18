/**
 * How a message on the master <-> worker link is declared: once, as its tag, who sends it and
 * the check of its fields. Its TypeScript type is derived from that check ({@link MessageOf}),
 * the union each end accepts from the senders ({@link SentBy}), and the guards of both
 * directions from the same declarations (`worker-link-guards.ts`), in the manner of
 * vscode-languageserver's `namespace X { type = new RequestType(...) }`:
 *
 * ```ts
 * export namespace Shutdown {
 *   export const type = message('shutdown', 'master', { reason: str });
 *   export type Msg = MessageOf<typeof type>; // { t: 'shutdown'; reason: string }
 * }
 * ```
 */
import { shape, type Check, type Fields, type Flat, type ShapeOf } from './field-checks';

/** Which end sends a message. */
export type Sender = 'master' | 'worker';

/** One message type of the link. `M` is the message, its tag included; it exists for the compiler. */
export interface MessageType<T extends string = string, From extends Sender | 'both' = Sender | 'both', M = unknown> {
  /** The tag, the message's `t`. */
  readonly t: T;
  /** Who may send it: `both` for messages that go either way. */
  readonly from: From;
  /** Checks everything but the tag, which the guard has read to find this declaration. */
  readonly check: Check<M>;
}

/** `{ t: T }` joined to each member of `B`. */
type Tagged<T extends string, B> = B extends unknown ? Flat<{ t: T } & B> : never;

/** Declares a message whose fields are one check over the whole message (a tagged union, say). */
export function message<T extends string, From extends Sender | 'both', B>(
  t: T,
  from: From,
  check: Check<B>,
): MessageType<T, From, Tagged<T, B>>;
/** Declares a message with these fields. */
export function message<T extends string, From extends Sender | 'both', F extends Fields>(
  t: T,
  from: From,
  fields: F,
): MessageType<T, From, Tagged<T, ShapeOf<F>>>;
export function message(t: string, from: Sender | 'both', fields: Fields | Check): MessageType {
  return { t, from, check: typeof fields === 'function' ? fields : shape(fields) };
}

/** The message a declaration declares. */
export type MessageOf<D> = D extends MessageType<string, Sender | 'both', infer M> ? M : never;

/** Of the declarations `D` (a union), the messages that `sender` may send. */
export type SentBy<D, S extends Sender> =
  D extends MessageType<string, infer From, infer M> ? (S extends From ? M : 'both' extends From ? M : never) : never;
