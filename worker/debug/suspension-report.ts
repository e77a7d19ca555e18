/**
 * What a worker tells the master about a suspension, in the `debugPaused` and
 * `debugResponse` messages of protocol/messages/debug-messages.ts: the condition that
 * stopped the eval thread, its live frames mapped to the user's source, and values as the
 * debugger shows them. Built here from the inspector's CDP objects; the master's
 * debug-broker (server/debug/debug-broker.ts) passes them on to the editor unchanged.
 */
import type { DebugCondition, DebugFrame, DebugValue } from '../../protocol/messages/debug-messages';
import type { CallFrame, RemoteObject } from './eval-thread-inspector';
import { isInternalFile, type SourceMaps } from '../image/source-maps';

/** Frame `f` at `index` of a suspension; `url` is its script's name (see `EvalThreadInspector.urlOf`). */
export function debugFrame(f: CallFrame, index: number, url: string, sourceMaps: SourceMaps): DebugFrame {
  const line = f.location.lineNumber + 1;
  const column = f.location.columnNumber + 1;
  const mapped = sourceMaps.mapPosition(url, line, column);
  return {
    index,
    functionName: f.functionName,
    ...(mapped ?? { file: url, line, column }),
    internal: mapped ? false : isInternalFile(url) || url === '',
    scopes: f.scopeChain
      .filter((s) => s.type !== 'global' && s.object.objectId)
      .map((s) => ({ type: s.type, name: s.name, objectId: s.object.objectId! })),
  };
}

/** The condition of a suspension at a throw, from what was thrown. */
export function describeThrown(data: RemoteObject | undefined): DebugCondition {
  if (!data) return { reason: 'exception', name: 'Error', message: 'unknown error' };
  if (data.type !== 'object')
    return {
      reason: 'exception',
      name: 'Error',
      message: `non-Error thrown: ${String(data.value ?? data.description)}`,
    };
  const head = (data.description ?? '').split('\n')[0];
  const name = data.className ?? 'Error';
  return { reason: 'exception', name, message: head.startsWith(`${name}: `) ? head.slice(name.length + 2) : head };
}

/** A remote value as one line of text; objects keep their id, so the editor can expand them. */
export function toValue(name: string, o: RemoteObject): DebugValue {
  const type = o.subtype ? `${o.type}:${o.subtype}` : o.type;
  let value: string;
  if (o.type === 'string') value = JSON.stringify(o.value);
  else if (o.unserializableValue !== undefined) value = o.unserializableValue;
  else if (o.type === 'undefined') value = 'undefined';
  else if ('value' in o && o.type !== 'object' && o.type !== 'function') value = String(o.value);
  else if (o.subtype === 'null') value = 'null';
  else value = (o.description ?? o.className ?? o.type).split('\n')[0];
  return o.objectId && o.type === 'object' ? { name, type, value, objectId: o.objectId } : { name, type, value };
}
