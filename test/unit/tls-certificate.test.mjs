// The listener's own certificate: each one made loads in OpenSSL (DER has one encoding of an
// INTEGER, and a serial number with a needless leading zero byte was refused once in 256),
// and a cached pair OpenSSL cannot load is made anew instead of stopping the listener.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createSecureContext } from 'node:tls';
import { loadSource, tempDir } from '../helpers.mjs';

const C = await loadSource('protocol/link/tls-certificate.ts');

test('every certificate made loads in OpenSSL (3000 of them)', () => {
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    const { cert, key } = C.makeSelfSigned();
    try {
      createSecureContext({ cert, key });
    } catch {
      refused++;
    }
  }
  assert.equal(refused, 0, `${refused} of 3000 certificates could not be loaded`);
});

test('a cached certificate OpenSSL cannot load is replaced by a new one', () => {
  const file = join(tempDir(), 'tls-listener.pem');
  const good = C.makeSelfSigned();
  // The same certificate with its serial number re-encoded with a needless leading zero byte.
  const der = Buffer.from(good.cert.replace(/-----[^-]+-----|\n/g, ''), 'base64');
  const at = der.indexOf(Buffer.from([0x02, 0x10]));
  assert.ok(at > 0, 'the serial number is where it is expected');
  const serial = der.subarray(at + 2, at + 18);
  const padded = Buffer.concat([Buffer.from([0x02, 0x11, 0x00]), Buffer.from([serial[0] & 0x3f]), serial.subarray(1)]);
  const bad = Buffer.concat([der.subarray(0, at), padded, der.subarray(at + 18)]);
  // Lengths of the enclosing sequences are not fixed up: either way OpenSSL refuses it.
  const pem = `-----BEGIN CERTIFICATE-----\n${bad.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END CERTIFICATE-----\n`;
  writeFileSync(file, good.key + pem, { mode: 0o600 });
  const got = C.listenerCertificate(file);
  assert.notEqual(got.cert, pem);
  createSecureContext({ cert: got.cert, key: got.key });
});
