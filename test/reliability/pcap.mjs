// Reading a capture made with `tcpdump -w` on a veth (Ethernet frames, IPv4, TCP): the TCP
// payload each side sent, in order, so a test can search it as bytes and as WebSocket frames.
import { readFileSync } from 'node:fs';

/**
 * The payload of every TCP segment in `file`, grouped by direction (`src:port>dst:port`) in
 * capture order. Retransmitted segments (a sequence number already seen) are skipped.
 */
export function tcpStreams(file) {
  const buf = readFileSync(file);
  const little = buf.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o) => (little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  if (!little && buf.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${file} is not a classic pcap file`);
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`${file}: link type ${linkType}, expected Ethernet (1)`);
  const streams = new Map();
  const seen = new Set();
  for (let o = 24; o + 16 <= buf.length;) {
    const captured = u32(o + 8);
    const p = o + 16;
    o = p + captured;
    if (buf.readUInt16BE(p + 12) !== 0x0800) continue; // IPv4 only
    const ip = p + 14;
    if (buf[ip + 9] !== 6) continue; // TCP only
    const ipLen = buf.readUInt16BE(ip + 2);
    const tcp = ip + (buf[ip] & 0x0f) * 4;
    const data = tcp + (buf[tcp + 12] >> 4) * 4;
    const end = Math.min(ip + ipLen, o);
    if (data >= end) continue;
    const addr = (a) => `${buf[a]}.${buf[a + 1]}.${buf[a + 2]}.${buf[a + 3]}`;
    const key = `${addr(ip + 12)}:${buf.readUInt16BE(tcp)}>${addr(ip + 16)}:${buf.readUInt16BE(tcp + 2)}`;
    const seq = `${key}#${buf.readUInt32BE(tcp + 4)}`;
    if (seen.has(seq)) continue;
    seen.add(seq);
    if (!streams.has(key)) streams.set(key, []);
    streams.get(key).push(buf.subarray(data, end));
  }
  return new Map([...streams].map(([k, parts]) => [k, Buffer.concat(parts)]));
}
