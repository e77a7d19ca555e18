// npm run bench:guard: a cheap regression guard for CI. Three alternating runs of Crew's
// per-element tiny map and of the bare `ws` floor; fails only if Crew falls below 10 times
// Dask's per-element figure, or below a fixed fraction of the floor measured in this run.
// Ratios, not absolute times: absolute times are not stable on shared machines.
import { availableSystems, runAll, summarize } from './lib/runner.mjs';
import { fmt } from './lib/report.mjs';

/** Dask distributed's per-element figure on this kind of machine (2 cores, 2 workers), tasks/s. */
const DASK_PER_ELEMENT = 680;
const MIN_TASKS_S = 10 * DASK_PER_ELEMENT;
/**
 * Crew's per-element map against bare `ws` messages per second in the same run. Before the
 * compact frames and batching fixes it was about 0.2. The floor moves more than Crew between
 * machines of this kind: on one day it measured 296k-505k msgs/s while Crew gave 174k-256k
 * tasks/s (ratios 0.41-0.69), where earlier runs on other machines gave 0.64 and 1.53. The
 * bound sits above the old 0.2 and below what unchanged code gives when the floor is fast.
 */
const MIN_FLOOR_FRACTION = 0.3;

const systems = availableSystems(['--guard']).filter((s) => s.name === 'crew' || s.name === 'floor');
const { samples, errors } = await runAll(systems, 3, 120_000, (line) => process.stderr.write(`${line}\n`));
if (errors.length) {
  console.error(`bench:guard could not measure:\n${errors.join('\n')}`);
  process.exit(2);
}
const crew = summarize(samples.get('crew'), 'map_per_element').median;
const floor = summarize(samples.get('floor'), 'pipelined_msgs_s').median;
const fraction = crew / floor;
console.log(`Crew per-element map: ${fmt(crew)} tasks/s (needs >= ${fmt(MIN_TASKS_S)}, 10 x Dask)`);
console.log(
  `bare ws pipelined: ${fmt(floor)} msgs/s; Crew / floor = ${fraction.toFixed(2)} (needs >= ${MIN_FLOOR_FRACTION})`,
);
const failed = [];
if (crew < MIN_TASKS_S)
  failed.push(`Crew's per-element map (${fmt(crew)} tasks/s) is below 10 x Dask (${fmt(MIN_TASKS_S)} tasks/s)`);
if (fraction < MIN_FLOOR_FRACTION)
  failed.push(`Crew's per-element map is ${fraction.toFixed(2)} of the bare ws floor, below ${MIN_FLOOR_FRACTION}`);
if (failed.length) {
  console.error(`bench:guard FAILED:\n- ${failed.join('\n- ')}`);
  process.exit(1);
}
console.log('bench:guard passed');
