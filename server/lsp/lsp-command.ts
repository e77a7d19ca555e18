/** `crew lsp`: the master as a language server for editors, on stdio or TCP. */
import { appendFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Audit } from '../../protocol/audit';
import { resolveSecret } from '../../protocol/secret';
import { auditOptions, commonOptions, ExitCodes, intOption, portOption, UsageError } from '../cli/cli-common';
import { serveCdpBeyondLoopback } from '../debug/cdp-proxy';
import { checkListen, serveStdio, serveTcp } from './serve';
import { LspMaster } from './lsp-master';

export const LSP_HELP = `Usage: crew lsp (--stdio | --port P [--host H]) [options]

Serve the master to an editor over the Language Server Protocol. The VS Code extension
starts \`crew lsp --stdio\` itself; \`crew lsp --port P\` keeps a master running that editors
attach to (Crew: Connect to Master...). Over TCP an editor must prove it knows the shared
secret before any LSP message is read.

  --stdio              Speak LSP on stdin and stdout, for the editor that started this process
  --port P             Listen for editors on port P (0 picks one; the port is printed)
  --host H             Address to listen on (default 127.0.0.1; others need a secret).
                       Editors on other hosts attach over TLS with nothing to set up: the
                       master makes its own certificate, and the secret, bound to the TLS
                       channel, authenticates both ends
  --tls                Editors on loopback use TLS too; --no-tls: no editor does (warns)
  --local N            Start N local workers now (else the editor asks for them)
  --workers h:p,...    Dial these listening workers now
  --worker-port P      Port where workers dial in (default: any free port)
  --worker-host H      Address where workers dial in (default 127.0.0.1; Slurm compute nodes
                       need 0.0.0.0 or this machine's address, and a --secret-file)
  --secret-file, --audit-file, --verbose, --heartbeat-timeout: see crew --help

The audit trail goes to stderr (or --audit-file) and to every attached editor.
`;

const options = {
  ...commonOptions,
  stdio: { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  local: { type: 'string' },
  workers: { type: 'string' },
  'worker-port': { type: 'string' },
  'worker-host': { type: 'string' },
  tls: { type: 'boolean' },
  'no-tls': { type: 'boolean' },
  // Added by vscode-languageclient when it starts the server.
  clientProcessId: { type: 'string' },
} as const;

/** Where the pool's audit lines go besides the editors: the audit file, else stderr over TCP. */
function auditSink(file: string | undefined, stdio: boolean): ((line: string) => void) | undefined {
  if (file === 'none') return undefined;
  if (file) return (line) => appendFileSync(file, line + '\n');
  return stdio ? undefined : (line) => process.stderr.write(line + '\n');
}

/** Runs `crew lsp`; resolves only when the server stops. */
export async function lspCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options, strict: true }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(LSP_HELP);
    return ExitCodes.Ok;
  }
  if (!!values.stdio === (values.port !== undefined))
    throw new UsageError('crew lsp needs exactly one of --stdio or --port P');
  if (values.tls && values['no-tls']) throw new UsageError('--tls and --no-tls do not go together');
  const port = portOption(values.port);
  const editorPid = intOption(values.clientProcessId, 'clientProcessId', 1);
  const workers = values.workers
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const local = intOption(values.local, 'local') ?? 0;
  const secretGiven = values['secret-file'] !== undefined || !!process.env.CREW_SECRET;
  const secret = resolveSecret({ secretFile: values['secret-file'] });
  const audit = new Audit('master', auditOptions(values));
  const workerHost = values['worker-host'] ?? '127.0.0.1';
  checkListen(workerHost, secretGiven);
  const master = new LspMaster({
    secret,
    secretFile: values['secret-file'],
    secretInline: !values['secret-file'] && !!process.env.CREW_SECRET,
    host: workerHost,
    port: portOption(values['worker-port'], 'worker-port'),
    heartbeatTimeoutMs: intOption(values['heartbeat-timeout'], 'heartbeat-timeout', 100),
    auditTasks: values.verbose,
    auditSink: auditSink(values['audit-file'], values.stdio === true),
  });
  const startWorkers = async () => {
    if (local === 0 && !workers?.length) return;
    const result = await master.connect({ local, addresses: workers });
    for (const e of result.errors) process.stderr.write(`crew: ${e}\n`);
  };
  if (values.stdio) {
    // The editor's initialize must not wait for workers.
    serveStdio(master, editorPid);
    await startWorkers();
  } else {
    checkListen(values.host ?? '127.0.0.1', secretGiven);
    // Editors on other hosts reach the debugger's endpoint too, over TLS, pinned by the editor.
    serveCdpBeyondLoopback(values.host);
    // Editors that attach find the workers from the command line already there.
    await startWorkers();
    const server = await serveTcp(master, {
      host: values.host ?? '127.0.0.1',
      port: port ?? 0,
      secret,
      secretGiven,
      audit,
      tls: values['no-tls'] ? 'off' : values.tls ? 'on' : undefined,
    });
    process.stdout.write(`crew lsp listening for editors on ${values.host ?? '127.0.0.1'}:${server.port}\n`);
    const stop = () =>
      void server
        .close()
        .then(() => master.close())
        .then(() => process.exit(ExitCodes.Ok));
    process.on('SIGINT', stop).on('SIGTERM', stop);
  }
  return new Promise<number>(() => {});
}
