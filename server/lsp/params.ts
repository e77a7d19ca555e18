/**
 * Checks of request parameters. The editor is trusted to speak LSP, not to send
 * well-formed Crew requests: every bad field gets an error that names it.
 */
import { ResponseError } from 'vscode-languageserver';
import { parseHostPort } from '../../protocol/address';
import { CrewError, ErrorCodes } from '../../protocol/errors';
import {
  LspErrorCodes,
  type ConnectWorkersParams,
  type CrewErrorData,
  type EvalAllParams,
  type EvalOnParams,
  type EvalParams,
  type InterruptParams,
} from '../../protocol/messages/lsp-messages';

/** Most local workers one request may start. */
const MAX_LOCAL = 64;

function bad(method: string, message: string): ResponseError<CrewErrorData> {
  return new ResponseError(LspErrorCodes.InvalidParams, `${method}: ${message}`, { code: ErrorCodes.BadArgument });
}

function record(method: string, p: unknown, allowEmpty = false): Record<string, unknown> {
  if ((p === null || p === undefined) && allowEmpty) return {};
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    throw bad(
      method,
      `parameters must be an object, got ${p === null ? 'null' : Array.isArray(p) ? 'an array' : typeof p}`,
    );
  return p as Record<string, unknown>;
}

function optional(method: string, p: Record<string, unknown>, key: string, type: 'string' | 'boolean'): void {
  if (p[key] !== undefined && typeof p[key] !== type)
    throw bad(method, `"${key}" must be a ${type}, got ${typeof p[key]}`);
}

function position(method: string, p: Record<string, unknown>, key: string): void {
  const v = p[key];
  if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1))
    throw bad(method, `"${key}" must be a whole number >= 1 (1-based), got ${JSON.stringify(v)}`);
}

export function evalParams(method: string, raw: unknown): EvalParams {
  const p = record(method, raw);
  if (typeof p.code !== 'string')
    throw bad(
      method,
      `"code" must be the source text to evaluate, got ${p.code === undefined ? 'nothing' : typeof p.code}`,
    );
  if (p.code.trim() === '') throw bad(method, '"code" is empty: select some code to evaluate');
  optional(method, p, 'filename', 'string');
  optional(method, p, 'progressToken', 'string');
  optional(method, p, 'colors', 'boolean');
  position(method, p, 'line');
  position(method, p, 'column');
  return p as unknown as EvalParams;
}

export function evalAllParams(method: string, raw: unknown): EvalAllParams {
  const p = evalParams(method, raw);
  optional(method, p as unknown as Record<string, unknown>, 'replay', 'boolean');
  return p;
}

export function evalOnParams(method: string, raw: unknown): EvalOnParams {
  const p = evalParams(method, raw) as EvalOnParams;
  if (p.worker !== null && typeof p.worker !== 'string')
    throw bad(
      method,
      '"worker" must be a worker id such as "w1", or null for any free worker; ' +
        `got ${p.worker === undefined ? 'nothing' : typeof p.worker}`,
    );
  return p;
}

export function connectParams(method: string, raw: unknown): ConnectWorkersParams {
  const p = record(method, raw, true);
  if (
    p.local !== undefined &&
    !(Number.isInteger(p.local) && (p.local as number) >= 0 && (p.local as number) <= MAX_LOCAL)
  ) {
    throw bad(method, `"local" must be a whole number from 0 to ${MAX_LOCAL}, got ${JSON.stringify(p.local)}`);
  }
  if (p.addresses !== undefined) {
    if (!Array.isArray(p.addresses))
      throw bad(method, `"addresses" must be a list of "host:port" strings, got ${typeof p.addresses}`);
    for (const a of p.addresses) {
      if (typeof a !== 'string') throw bad(method, `"addresses" must hold "host:port" strings, got ${typeof a}`);
      try {
        parseHostPort(a);
      } catch (err) {
        throw bad(method, (err as Error).message);
      }
    }
  }
  if (p.slurm !== undefined) slurmParams(method, p.slurm);
  return p as ConnectWorkersParams;
}

/** Most Slurm workers one request may submit: a typo should not fill a cluster's queue. */
const MAX_SLURM = 1024;

function slurmParams(method: string, raw: unknown): void {
  const s = record(method, raw);
  const whole = (key: string, min: number, max: number) => {
    const v = s[key];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min && (v as number) <= max))
      throw bad(method, `"slurm.${key}" must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  if (s.workers === undefined) throw bad(method, '"slurm.workers" is missing: how many workers to submit');
  whole('workers', 1, MAX_SLURM);
  whole('time', 1, 525_600);
  if (s.partition !== undefined && (typeof s.partition !== 'string' || s.partition.trim() === ''))
    throw bad(method, `"slurm.partition" must be a partition name, got ${JSON.stringify(s.partition)}`);
  if (s.sbatchArgs !== undefined && !(Array.isArray(s.sbatchArgs) && s.sbatchArgs.every((a) => typeof a === 'string')))
    throw bad(method, `"slurm.sbatchArgs" must be a list of strings, got ${JSON.stringify(s.sbatchArgs)}`);
}

export function interruptParams(method: string, raw: unknown): InterruptParams {
  const p = record(method, raw, true);
  optional(method, p, 'worker', 'string');
  return p as InterruptParams;
}

/** What a failed request answers: Crew's errors keep their stable code in `data.code`. */
export function toResponseError(err: unknown): ResponseError<CrewErrorData | undefined> {
  if (err instanceof ResponseError) return err as ResponseError<CrewErrorData | undefined>;
  if (err instanceof CrewError) return new ResponseError(LspErrorCodes.CrewFailure, err.message, { code: err.code });
  return new ResponseError(-32603, err instanceof Error ? err.message : String(err), undefined);
}
