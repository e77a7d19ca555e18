/**
 * Which throws suspend the eval thread. While debugging, V8 pauses at every throw
 * (`setPauseOnExceptions: all`), including those Node and Crew throw and catch themselves;
 * only an error that the user's code lets escape becomes a suspension the master hears of
 * (protocol/messages/debug-messages.ts, `debugPaused`). The rest resume at once.
 */
import { catchesAt, parseScript, type ParsedScript } from './catch-site';
import type { CallFrame, EvalThreadInspector } from './eval-thread-inspector';
import { EVAL_THREAD_FILE } from '../eval-thread/eval-thread-start';
import { isInternalFile } from '../image/source-maps';

/** The script names Crew gives forms. */
const FORM_SCRIPT = /#crew\d+$/;

export class UncaughtCheck {
  /** Parsed script texts of the eval thread, to see where errors are caught; undefined when unparsable. */
  private readonly parsed = new Map<string, ParsedScript | undefined>();

  constructor(private readonly inspector: EvalThreadInspector) {}

  /** A new eval thread has new scripts. */
  clear(): void {
    this.parsed.clear();
  }

  /**
   * True when an error thrown at these frames leaves the user's code uncaught: some frame
   * above the evaluator is the user's, and no frame there catches at the point it is at.
   * Errors that Node or Crew throw and catch themselves do not involve the user.
   */
  async escapesUserCode(frames: CallFrame[]): Promise<boolean> {
    const boundary = frames.findIndex((f) => this.inspector.urlOf(f) === EVAL_THREAD_FILE);
    const above = boundary === -1 ? frames : frames.slice(0, boundary);
    if (!above.some((f) => isUserCode(this.inspector.urlOf(f)))) return false;
    for (const f of above) if (await this.catches(f)) return false;
    return true;
  }

  private async catches(f: CallFrame): Promise<boolean> {
    const id = f.location.scriptId;
    if (!this.parsed.has(id)) {
      const { scriptSource } = (await this.inspector.send('Debugger.getScriptSource', { scriptId: id })) as {
        scriptSource: string;
      };
      this.parsed.set(id, await parseScript(scriptSource));
    }
    const script = this.parsed.get(id);
    if (!script) return false;
    // Locations count from the start the script was given (a form's line in its file).
    const start = this.inspector.startOf(id);
    const line = f.location.lineNumber - start.startLine;
    return catchesAt(script, line, line === 0 ? f.location.columnNumber - start.startColumn : f.location.columnNumber);
  }
}

function isUserCode(file: string): boolean {
  if (FORM_SCRIPT.test(file)) return true;
  return file !== '' && !isInternalFile(file) && !file.includes('/node_modules/');
}
