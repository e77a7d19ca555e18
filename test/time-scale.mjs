// The one factor every test time limit is multiplied by: CREW_TEST_TIME_SCALE (default 1).
// Tests wait for events, never for time; a limit only says how long an event may take to come.
// A busy machine (CI shares its cores) takes longer for the same events, so CI sets a larger
// factor in .ci/run instead of each test guessing its own margin.
const raw = process.env.CREW_TEST_TIME_SCALE || '1';
export const TIME_SCALE = Number(raw);
if (!(TIME_SCALE > 0)) throw new Error(`CREW_TEST_TIME_SCALE must be a positive number, not "${raw}"`);

/** A time limit in ms, scaled by CREW_TEST_TIME_SCALE. */
export const scaled = (ms) => Math.round(ms * TIME_SCALE);
