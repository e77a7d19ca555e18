/**
 * A project's modules on the link. The master resolves what a form imports, as Node and
 * TypeScript would from the form's file on the master, transpiles each module it reaches,
 * and names each by the hash of its shipped code. A form carries the graph it reaches
 * ({@link FormModules}); a worker fetches only the code it has not cached by that hash.
 */
import { arrayOf, num, oneOf, optional, shape, str, type Infer } from './field-checks';
import { message, type MessageOf, type SentBy } from './link-message';

/**
 * The identifier `import.meta.url` becomes in shipped code: a CommonJS module has no
 * `import.meta`, and the worker's loader passes each module its file's URL on the master under
 * this name.
 */
export const IMPORT_META_URL = '__crew_import_meta_url';

/**
 * Where one import leads:
 * - `ship`: a module of the master's, `to` its absolute path there, its code in the graph;
 * - `builtin`: a Node built-in, `to` its name;
 * - `host`: a package the master could not resolve, looked up on the worker's own host.
 */
export const importLink = shape({
  spec: str,
  kind: oneOf('ship', 'builtin', 'host'),
  to: str,
  /** For `host`: why the master does not ship it, for the error a worker without it gives. */
  why: optional(str),
});
export type ImportLink = Infer<typeof importLink>;

/** A shipped module: its path on the master, the hash of its code, and where its imports lead. */
export const moduleRef = shape({ path: str, hash: str, deps: arrayOf(importLink) });
export type ModuleRef = Infer<typeof moduleRef>;

/** What a form imports, and every module that reaches, as the master resolved them when it sent the form. */
export const formModules = shape({ imports: arrayOf(importLink), graph: arrayOf(moduleRef) });
export type FormModules = Infer<typeof formModules>;

/** One module's code as the worker runs it: CommonJS, with its source map to the user's file. */
export const moduleCode = shape({ hash: str, path: str, code: str, map: optional(str) });
export type ModuleCode = Infer<typeof moduleCode>;

export namespace ModuleFetch {
  /** worker -> master: the code of these modules, by hash (none of them is in the worker's cache). */
  export const type = message('moduleFetch', 'worker', { reqId: num, hashes: arrayOf(str) });
  export type Msg = MessageOf<typeof type>;
}
export namespace ModuleCodes {
  /** master -> worker: the code asked for; `missing` names hashes the master no longer has. */
  export const type = message('moduleCodes', 'master', {
    reqId: num,
    modules: arrayOf(moduleCode),
    missing: arrayOf(str),
  });
  export type Msg = MessageOf<typeof type>;
}

/** This file's messages, for the link's table. */
export const moduleMessageTypes = [ModuleFetch.type, ModuleCodes.type] as const;
type Modules = (typeof moduleMessageTypes)[number];

export type ModulesToWorker = SentBy<Modules, 'master'>;
export type ModulesToMaster = SentBy<Modules, 'worker'>;
