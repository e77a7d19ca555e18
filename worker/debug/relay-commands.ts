/**
 * The few commands of a debugger that the CDP relay (cdp-relay.ts) looks into rather than
 * only passing on. Each test reads the raw text first: nearly every message is none of them,
 * and is not parsed.
 */

/** `Debugger.setPauseOnExceptions`, parsed. */
export type PauseOnExceptions = { method: 'Debugger.setPauseOnExceptions'; params: { state: string } };

/** The command that sets a thread's pause-on-exceptions state, parsed, if `message` is one. */
export function pauseOnExceptions(message: string): PauseOnExceptions | undefined {
  if (!message.includes('"Debugger.setPauseOnExceptions"')) return undefined;
  const m = JSON.parse(message) as { method?: string; params?: { state?: string } };
  return m.method === 'Debugger.setPauseOnExceptions' && typeof m.params?.state === 'string'
    ? (m as PauseOnExceptions)
    : undefined;
}

/**
 * V8 keeps one pause-on-exceptions state for a thread, whichever debugger set it last: a
 * debugger that asks for none would stop the Crew Debugger from seeing any throw. While it
 * debugs, the state stays `all`; it resumes at once the throws the user's code catches.
 */
export function keepAllThrows(message: PauseOnExceptions): string {
  return JSON.stringify({ ...message, params: { ...message.params, state: 'all' } });
}

/**
 * The debugger asks that targets wait for it on start (`NodeWorker.enable` with
 * `waitForDebuggerOnStart`, as VS Code's debugger and DevTools do): it lets them go with
 * `Runtime.runIfWaitingForDebugger` once its breakpoints are set.
 */
export function asksTargetsToWait(message: string): boolean {
  if (!message.includes('"NodeWorker.enable"')) return false;
  const m = JSON.parse(message) as { method?: string; params?: { waitForDebuggerOnStart?: boolean } };
  return m.method === 'NodeWorker.enable' && m.params?.waitForDebuggerOnStart === true;
}

/** `message` is a command of `method`: the name is looked for in the text before it is parsed. */
function isCommand(message: string, method: string): boolean {
  return message.includes(`"${method}"`) && (JSON.parse(message) as { method?: string }).method === method;
}

/** The debugger switches its Debugger domain on. */
export function enablesDebugger(message: string): boolean {
  return isCommand(message, 'Debugger.enable');
}

/** The debugger sets an instrumentation breakpoint of its own (V8 refuses a second of the same kind). */
export function setsInstrumentation(message: string): boolean {
  return isCommand(message, 'Debugger.setInstrumentationBreakpoint');
}

/** The command by which a debugger says it is set up: js-debug sends it after its filters and breakpoints. */
export function saysSetUp(message: string): boolean {
  return message.includes('"Runtime.runIfWaitingForDebugger"');
}
