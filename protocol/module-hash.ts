/** The hash that names a module's code on the link and in workers' caches; both ends compute it. */
import { createHash } from 'node:crypto';

/** sha256 of the code and its source map, in hex, cut to 160 bits. */
export function moduleHash(code: string, map: string | undefined): string {
  return createHash('sha256')
    .update(code)
    .update('\0')
    .update(map ?? '')
    .digest('hex')
    .slice(0, 40);
}
