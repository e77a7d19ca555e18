/**
 * An encoded frame, branded with the kind of message it carries: a link end's `sendFrame`
 * takes only frames of the kinds its direction may send, so a master cannot send a `results`
 * frame, nor a worker a `tasks` one. Frames get their brand from the codec's typed encoders
 * (`encodeFrame`, `encodeTaskFrame`, `fitResultsFrame`); at run time a frame is its bytes.
 */
import type { LinkMessage } from '../messages/worker-link-messages';

/** The key of a frame's brand; never present at run time. */
export declare const frameKind: unique symbol;

/** Bytes that encode one message of kind `K` (its tag `t`). */
export type Frame<K extends LinkMessage['t'] = LinkMessage['t']> = Uint8Array & { readonly [frameKind]: K };

/** A frame of any kind in the message union `M`. */
export type FrameOf<M> = Frame<M extends { t: infer K extends LinkMessage['t'] } ? K : never>;
