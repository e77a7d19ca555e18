/**
 * A worker's session gets module code from its master: from the disk cache when it is there,
 * else in one `moduleFetch` request for every hash the thread lacks. Code that arrives is
 * checked against its hash, which the form named, before it is cached or run.
 */
import type { Audit } from '../../protocol/audit';
import { crewError, ErrorCodes } from '../../protocol/errors';
import type { WorkerEnd } from '../../protocol/link/link';
import type { ModuleCode, ModuleCodes } from '../../protocol/messages/module-messages';
import { moduleHash } from '../../protocol/module-hash';
import { ModuleCache } from './module-cache';

interface Pending {
  resolve: (m: ModuleCodes.Msg) => void;
  reject: (e: Error) => void;
}

export class ModuleFetcher {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    /** The link to the session's master now, if one serves it. */
    private readonly link: () => WorkerEnd | undefined,
    private readonly audit: Pick<Audit, 'log'>,
    private readonly cache = new ModuleCache(),
  ) {}

  /** The code of each hash: from the cache, else from the master. */
  async fetch(hashes: string[]): Promise<ModuleCode[]> {
    const found: ModuleCode[] = [];
    const wanted: string[] = [];
    for (const h of hashes) {
      const cached = this.cache.get(h);
      if (cached) found.push(cached);
      else wanted.push(h);
    }
    if (wanted.length === 0) return found;
    const answer = await this.ask(wanted);
    if (answer.missing.length)
      throw crewError(
        ErrorCodes.ModuleFetchFailed,
        `the master no longer has ${answer.missing.length} module(s) this form needs: evaluate it again`,
      );
    for (const m of answer.modules) {
      if (!wanted.includes(m.hash) || moduleHash(m.code, m.map) !== m.hash)
        throw crewError(ErrorCodes.ModuleFetchFailed, `the code sent for ${m.path} does not match its hash`);
      this.cache.put(m);
      found.push(m);
    }
    this.audit.log('modules', { fetched: answer.modules.length, cached: hashes.length - wanted.length });
    return found;
  }

  /** The master's answer to a request of this session's. */
  answer(m: ModuleCodes.Msg): void {
    const p = this.pending.get(m.reqId);
    this.pending.delete(m.reqId);
    p?.resolve(m);
  }

  /** The link ended: requests on it will get no answer. */
  linkEnded(): void {
    for (const p of this.pending.values())
      p.reject(crewError(ErrorCodes.ModuleFetchFailed, 'the link to the master ended while module code was fetched'));
    this.pending.clear();
  }

  private ask(hashes: string[]): Promise<ModuleCodes.Msg> {
    const link = this.link();
    if (!link || link.phase !== 'open')
      return Promise.reject(crewError(ErrorCodes.ModuleFetchFailed, 'no master is connected to send module code'));
    const reqId = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(reqId, { resolve, reject });
      link.send({ t: 'moduleFetch', reqId, hashes });
    });
  }
}
