/**
 * What an evaluation context borrows from its thread: Node's globals that a `vm` context
 * lacks, lent lazily, and the one loader warning dropped.
 */
let loaderWarningDropped = false;

/**
 * Forms compile with Node's own loader for `import()` (and `import` statements become
 * `import()`); Node 20 calls that option experimental and would warn at its first use, into
 * the user's output. Only that warning is dropped, and only in a thread that evaluates forms,
 * not in every program that imports Crew.
 */
export function dropLoaderWarning(): void {
  if (loaderWarningDropped) return;
  loaderWarningDropped = true;
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (String(typeof warning === 'string' ? warning : warning.message).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER'))
      return;
    (emitWarning as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** Node globals that a vm context lacks but user code expects. */
export const HOST_GLOBALS = [
  'console',
  'process',
  'Buffer',
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'AbortController',
  'AbortSignal',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'structuredClone',
  'performance',
  'fetch',
  'crypto',
  'Blob',
  'EventTarget',
  'Event',
  'MessageChannel',
  'BroadcastChannel',
  'atob',
  'btoa',
] as const;

/**
 * Lends one of this thread's globals to the context, read on first use: several (`fetch`,
 * `crypto`, `Blob`, ...) are lazy in Node and loading them all would slow every eval
 * thread's start. The first read or write leaves a plain property behind.
 */
export function lendGlobal(sandbox: Record<string, unknown>, name: string): void {
  const settle = (value: unknown) => {
    Object.defineProperty(sandbox, name, { value, writable: true, configurable: true, enumerable: false });
    return value;
  };
  Object.defineProperty(sandbox, name, {
    get: () => settle((globalThis as Record<string, unknown>)[name]),
    set: settle,
    configurable: true,
    enumerable: false,
  });
}
