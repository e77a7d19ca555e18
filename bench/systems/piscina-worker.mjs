// Task functions for the piscina peer.
import { Piscina } from 'piscina';
import { spin as spinLoop } from '../lib/work.mjs';

export const inc = (x) => x + 1;
export const incChunk = (c) => c.map((x) => x + 1);
export const one = () => 1;
export const spin = (n) => spinLoop(n);
export const echo = (a) => Piscina.move(a);
export default inc;
