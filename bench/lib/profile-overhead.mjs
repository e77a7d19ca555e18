// What profiling every worker at V8's default sampling interval costs the tiny per-element
// map: the same map timed in turns with and without a profile running, in the same process.
// (A first map sets how long a profile must be to outlast the map it covers.)
import { form, parallelMap, profileWorkers } from 'crew';

/** How long after asking for a profile a map may begin: the worker opens its inspector session first. */
const ATTACH_MS = 500;

/**
 * Runs the per-element map over `list` `rounds` times each way, in turns, and returns the
 * median rates (tasks/s) and their ratio. A profiled map begins once the profile has had
 * {@link ATTACH_MS} to start, and counts only if it ended before the profile did.
 */
export async function profilingOverhead(pool, list, rounds = 4) {
  const map = async () => {
    const t = performance.now();
    const out = await parallelMap(
      pool,
      form((x) => x + 1),
      list,
    );
    if (out.length !== list.length || out[list.length - 1] !== list.length)
      throw new Error('map under profiling gave wrong results');
    return list.length / ((performance.now() - t) / 1000);
  };
  const pause = () => new Promise((resolve) => setTimeout(resolve, ATTACH_MS));
  const plain = [];
  const profiled = [];
  /** A map under a profile: its rate, or undefined when it outlasted the profile (a burst of load). */
  const profiledMap = async (expectedRate) => {
    // Long enough for the map at a fifth of the expected rate, after the attach time.
    const ms = Math.ceil(ATTACH_MS + (5 * list.length * 1000) / expectedRate);
    const started = performance.now();
    const profiles = profileWorkers(pool, { ms });
    await pause();
    const rate = await map();
    const covered = performance.now() - started < ms;
    await profiles;
    return covered ? rate : undefined;
  };
  let expected = await map();
  for (let i = 0; i < rounds; i++) {
    // Each goes first in turn, so neither is always the one after a pause.
    let profiledRate = i % 2 ? await profiledMap(expected) : undefined;
    // The same pause as before a profiled map: a map right after another runs slower.
    await pause();
    const rate = (expected = await map());
    if (i % 2 === 0) profiledRate = await profiledMap(expected);
    if (profiledRate === undefined) continue;
    plain.push(rate);
    profiled.push(profiledRate);
  }
  if (plain.length === 0) return {};
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  return {
    map_per_element_unprofiled: median(plain),
    map_per_element_profiled: median(profiled),
    profiling_rate_ratio: median(profiled.map((p, i) => p / plain[i])),
  };
}
