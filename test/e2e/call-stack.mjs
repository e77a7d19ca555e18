// VS Code's Call Stack view as a person reads it: its rows as text, waited on until they
// show what a step expects, and printed when they do not.
import { until } from '../helpers.mjs';

/** The Call Stack view of `page`. */
export const callStackOf = (page) => page.locator('.debug-call-stack');

/** The Call Stack's rows, as text, once `ok(rows)` holds; fails showing them. */
export async function callStackUntil(page, ok, what, timeoutMs = 60_000) {
  let rows = [];
  await until(
    async () => {
      rows = await callStackOf(page)
        .locator('.monaco-list-row')
        .allTextContents()
        .catch(() => []);
      return ok(rows);
    },
    { timeoutMs, what, everyMs: 250 },
  ).catch((err) => {
    throw new Error(`${err.message}; the Call Stack shows:\n${rows.join('\n')}`);
  });
  return rows;
}
