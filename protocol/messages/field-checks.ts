/**
 * A small vocabulary for checking the fields of a decoded frame. Each check answers
 * undefined when the value fits, or what is wrong with it, named by its path in the message
 * (`tasks[0].form is not a number`), so a refused frame tells its sender which field to fix.
 * Fields not listed are allowed: a newer peer may add one.
 */

/** Undefined when `value` fits; otherwise why not, naming `path`. */
export type Check = (value: unknown, path: string) => string | undefined;

/** The fields of an object, each with its check. */
export type Fields = Record<string, Check>;

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
  (what: string, test: (v: unknown) => boolean): Check =>
  (v, path) =>
    test(v) ? undefined : missing(v, path, what);

export const str: Check = is('a string', (v) => typeof v === 'string');
export const num: Check = is('a number', (v) => typeof v === 'number');
export const int: Check = is('an integer', (v) => Number.isInteger(v));
export const bool: Check = is('a boolean', (v) => typeof v === 'boolean');
export const bytes: Check = is('a Uint8Array', (v) => v instanceof Uint8Array);
export const int32s: Check = is('an Int32Array', (v) => v instanceof Int32Array);
/** Any object at all (not null): for values whose insides the receiver does not read. */
export const anyObject: Check = is('an object', (v) => typeof v === 'object' && v !== null);

/** An integer of at least `min`. */
export const intFrom = (min: number): Check =>
  is(`an integer of at least ${min}`, (v) => Number.isInteger(v) && (v as number) >= min);

/** One of a few literal values. */
export const oneOf = (...values: readonly (string | number | boolean)[]): Check =>
  is(`one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, (v) => values.includes(v as string));

/** Absent, or fits `check`. */
export const optional =
  (check: Check): Check =>
  (v, path) =>
    v === undefined ? undefined : check(v, path);

/** An array whose every element fits `check`. */
export const arrayOf =
  (check: Check): Check =>
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
  (...checks: Check[]): Check =>
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
  (fields: Fields): Check =>
  (v, path) =>
    checkFields(v, fields, path);

/** An object whose string field `key` picks the fields it must have, as a tagged union does. */
export const variant =
  (key: string, cases: Record<string, Fields>): Check =>
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
  (...checks: Check[]): Check =>
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
