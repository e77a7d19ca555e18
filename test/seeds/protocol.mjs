// Crew's protocol modules for tests that speak to a worker directly (a hand-made master that
// signs, or mis-signs, its own frames). They are bundled from source once per test file.
import { loadSource } from '../helpers.mjs';

export function loadProtocol() {
  return loadSource(
    ['link/worker-handshake', 'link/sockets', 'signing', 'codec/codec', 'errors'].map((m) => `protocol/${m}.ts`),
  );
}
