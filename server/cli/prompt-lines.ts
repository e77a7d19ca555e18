/**
 * Lines that arrive while the REPL waits at its prompt: the audit trail, a worker's output, a
 * Slurm notice. Written as they come, they land after `crew> ` and the screen ends with a log
 * line and no prompt, so that the user does not know the REPL is waiting (after Ctrl-C, the
 * eval threads' restarts are reported just after the prompt is drawn). At an idle prompt each
 * is written above it instead, and the prompt is drawn again with what the user has typed so
 * far, as readline-based REPLs do. While an evaluation runs they are written as they come;
 * the progress bar clears itself before any write (server/api/progress.ts).
 */
import { clearLine, cursorTo } from 'node:readline';
import type { REPLServer } from 'node:repl';

export class PromptLines {
  private server?: REPLServer;
  /** True while the prompt is drawn and the REPL waits for a line. */
  private idle = false;

  /** From now on lines go above `server`'s prompt whenever it is idle. */
  attach(server: REPLServer): void {
    this.server = server;
    const display = server.displayPrompt.bind(server);
    server.displayPrompt = (preserveCursor?: boolean) => {
      display(preserveCursor);
      this.idle = true;
    };
    server.on('line', () => (this.idle = false));
    // The prompt Node drew on start came before this hook.
    this.idle = true;
  }

  /** Writes `text` (whole lines) to `stream`, above the prompt if the REPL waits at one. */
  write(stream: 'stdout' | 'stderr', text: string): void {
    const server = this.server;
    if (!server || !this.idle || !process.stdout.isTTY) {
      process[stream].write(text);
      return;
    }
    clearLine(process.stdout, 0);
    cursorTo(process.stdout, 0);
    process[stream].write(text.endsWith('\n') ? text : `${text}\n`);
    server.displayPrompt(true);
  }
}
