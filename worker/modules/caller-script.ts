/**
 * The script that called a function, by V8's stack: `require` and `import` in a form resolve
 * from the form's own file, and the image's context has one `require` for every form.
 */

/** The script name of the code that called `fn`, or undefined outside any script. */
export function callerScript(fn: (...args: never[]) => unknown): string | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.prepareStackTrace = (_err, frames) => frames;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  try {
    Error.captureStackTrace(holder, fn);
    return holder.stack?.[0]?.getFileName() ?? undefined;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}
