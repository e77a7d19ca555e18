/**
 * A small vocabulary for checking the fields of a decoded frame. Each check answers
 * undefined when the value fits, or what is wrong with it, named by its path in the message
 * (`tasks[0].form is not a number`), so a refused frame tells its sender which field to fix.
 * Fields not listed are allowed: a newer peer may add one.
 *
 * Each check also carries, for the compiler only, the type of the values it lets through, as
 * zod's and io-ts's do: `shape({ id: num, note: optional(str) })` is a `Check<{ id: number;
 * note?: string }>`, and {@link Infer} reads that type off. So a message is declared once, as
 * its check, and its TypeScript type is derived from it: the two cannot disagree.
 */

/** The key of the phantom type a check carries; never present at run time. */
export declare const checked: unique symbol;

/** Undefined when `value` fits; otherwise why not, naming `path`. `T` is what fits. */
export interface Check<T = unknown> {
  (value: unknown, path: string): string | undefined;
  /** For the compiler only: the type of the values that pass. */
  readonly [checked]?: T;
}

/** The type of the values that pass check `C`. */
export type Infer<C> = C extends Check<infer T> ? T : never;

/** The fields of an object, each with its check. */
export type Fields = Record<string, Check>;

/** An object type written out flat, as hovers and error messages show it. */
export type Flat<T> = T extends unknown ? { [K in keyof T]: T[K] } : never;

/** The object `fields` describes: a field whose check lets `undefined` through is optional. */
export type ShapeOf<F extends Fields> = Flat<
  { [K in keyof F as undefined extends Infer<F[K]> ? never : K]: Infer<F[K]> } & {
    [K in keyof F as undefined extends Infer<F[K]> ? K : never]?: Infer<F[K]>;
  }
>;

// Paths are spelled out only once a message has failed: every frame is checked, and building
// `results[17].id` for each field of each result would cost more than the checks themselves.
let spellPaths = false;
const at = (path: string, key: string): string => (!spellPaths ? '' : path ? `${path}.${key}` : key);
const item = (path: string, i: number): string => (spellPaths ? `${path}[${i}]` : '');

/** Runs `check` once quickly; only a failing value is checked again to name its path. */
export function withPaths(check: () => string | undefined): string | undefined {
  if (check() === undefined) return undefined;
  spellPaths = true;
  try {
    return check();
  } finally {
    spellPaths = false;
  }
}

const missing = (v: unknown, path: string, what: string): string =>
  v === undefined ? `${path} is missing` : `${path} is not ${what}`;

const is =
  <T>(what: string, test: (v: unknown) => boolean): Check<T> =>
  (v, path) =>
    test(v) ? undefined : missing(v, path, what);

export const str = is<string>('a string', (v) => typeof v === 'string');
export const num = is<number>('a number', (v) => typeof v === 'number');
export const int = is<number>('an integer', (v) => Number.isInteger(v));
export const bool = is<boolean>('a boolean', (v) => typeof v === 'boolean');
export const bytes = is<Uint8Array>('a Uint8Array', (v) => v instanceof Uint8Array);
export const int32s = is<Int32Array>('an Int32Array', (v) => v instanceof Int32Array);
/** Any object at all (not null): for values whose insides the receiver does not read. */
export const anyObject = is<object>('an object', (v) => typeof v === 'object' && v !== null);

/** An integer of at least `min`. */
export const intFrom = (min: number): Check<number> =>
  is(`an integer of at least ${min}`, (v) => Number.isInteger(v) && (v as number) >= min);

/** One of a few literal values. */
export const oneOf = <const V extends readonly (string | number | boolean)[]>(...values: V): Check<V[number]> =>
  is(`one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, (v) => values.includes(v as string));

/**
 * What passes `check`, typed as the narrower `T`: for a field whose insides the guard leaves to
 * the code that reads them (`claim<SigningOffer>()(anyObject)`). It compiles only when `T` is
 * within what the check lets through; the one place a type is written beside its check.
 */
export const claim =
  <T>() =>
  <U>(check: Check<U> & ([T] extends [U] ? unknown : { notWithin: U })): Check<T> =>
    check as Check<T>;

/** Whether `A` and `B` are the same type, not merely assignable both ways. */
type Same<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;

/** The type a check, or the fields of a shape, derive. */
type Derived<C> = C extends Check<infer T> ? T : C extends Fields ? ShapeOf<C> : never;

/**
 * A check, or the fields of a shape, for a type whose home is elsewhere (`StackFrame` in
 * errors.ts, say): this compiles only when `T` is exactly the type they derive, so the two
 * cannot drift apart. A check comes back as a `Check<T>`, fields as they are.
 */
export const exactly =
  <T>() =>
  <C extends Check | Fields>(
    declared: C & (Same<Derived<C>, T> extends true ? unknown : { disagreesWith: T }),
  ): C extends Check ? Check<T> : C =>
    declared as C extends Check ? Check<T> : C;

/** Absent, or fits `check`. */
export const optional =
  <T>(check: Check<T>): Check<T | undefined> =>
  (v, path) =>
    v === undefined ? undefined : check(v, path);

/** An array whose every element fits `check`. */
export const arrayOf =
  <T>(check: Check<T>): Check<T[]> =>
  (v, path) => {
    if (!Array.isArray(v)) return missing(v, path, 'an array');
    for (let i = 0; i < v.length; i++) {
      const why = check(v[i], item(path, i));
      if (why) return why;
    }
    return undefined;
  };

/** A fixed-length array (a tuple) whose elements fit `checks` in order. */
export const tuple =
  <const C extends readonly Check[]>(...checks: C): Check<{ -readonly [K in keyof C]: Infer<C[K]> }> =>
  (v, path) => {
    if (!Array.isArray(v) || v.length !== checks.length) return missing(v, path, `an array of ${checks.length}`);
    for (let i = 0; i < checks.length; i++) {
      const why = checks[i](v[i], item(path, i));
      if (why) return why;
    }
    return undefined;
  };

/** Checks each listed field of an object; returns the first field that does not fit. */
export function checkFields(v: unknown, fields: Fields, path: string): string | undefined {
  if (typeof v !== 'object' || v === null) return missing(v, path, 'an object');
  for (const key in fields) {
    const why = fields[key]((v as Record<string, unknown>)[key], at(path, key));
    if (why) return why;
  }
  return undefined;
}

/** An object with these fields. */
export const shape =
  <F extends Fields>(fields: F): Check<ShapeOf<F>> =>
  (v, path) =>
    checkFields(v, fields, path);

/** The tagged union {@link variant} checks: one object type per case, its tag under `K`. */
export type VariantOf<K extends string, C extends Record<string, Fields>> = {
  [Tag in keyof C & string]: Flat<{ [P in K]: Tag } & ShapeOf<C[Tag]>>;
}[keyof C & string];

/** An object whose string field `key` picks the fields it must have, as a tagged union does. */
export const variant =
  <K extends string, C extends Record<string, Fields>>(key: K, cases: C): Check<VariantOf<K, C>> =>
  (v, path) => {
    const tag = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
    const where = at(path, key);
    if (typeof tag !== 'string')
      return typeof v === 'object' && v !== null ? missing(tag, where, 'a string') : missing(v, path, 'an object');
    if (!Object.hasOwn(cases, tag))
      return `${where} ${JSON.stringify(tag.slice(0, 40))} is not one of ${Object.keys(cases).join(', ')}`;
    return checkFields(v, cases[tag], path);
  };

/** Fits at least one of `checks`; otherwise the reasons of each. */
export const anyOf =
  <const C extends readonly Check[]>(...checks: C): Check<Infer<C[number]>> =>
  (v, path) => {
    let whys: Set<string> | undefined;
    for (const check of checks) {
      const why = check(v, path);
      if (!why) return undefined;
      (whys ??= new Set()).add(why);
    }
    return [...whys!].join(', and ');
  };

/**
 * The messages one end of a link accepts: who sends them, and the check each must pass
 * before a handler sees it.
 */
export interface Direction<In> {
  /** `master` or `worker`: named in the error for a refused frame. */
  readonly sender: string;
  /** Undefined for a message this end accepts; otherwise what is wrong, naming the tag or the field. */
  problem(m: unknown): string | undefined;
  is(m: unknown): m is In;
}
