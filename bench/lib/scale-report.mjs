// The scale rows (npm run bench -- --scale): one column per pool size, each cell the median
// of the runs with its spread, and the goals at 1,000 workers, from the same run.
import { fmt, goalTable } from './report.mjs';
import { summarize } from './runner.mjs';

/** Pool sizes the scale rows measure. */
export const SCALE_SIZES = [2, 64, 256, 1000];

const ROWS = [
  ['master CPU per task (100,000-task map)', 'µs', 'master_cpu_us_per_task', true],
  ['tiny map rate', 'tasks/s', 'map_tasks_s', true],
  ['time to connect them all', 's', 'connect_s', false],
  ['master memory per worker (heap + buffers)', 'bytes', 'master_bytes_per_worker', false],
  ['master RSS per worker', 'bytes', 'master_rss_per_worker', false],
  ['idle heartbeat cost', '% of a core', 'idle_cpu_pct', false],
  ['evalFormAllWorkers, p50', 'ms', 'eval_all_p50_ms', false],
  ['10% killed (sockets close): reroute', 'ms', 'reroute_abrupt_ms', false],
  ['10% stopped (silent): notice and reroute', 'ms', 'reroute_silent_ms', false],
  ['  the same ÷ heartbeat timeout', '×', 'reroute_silent_vs_timeout', false],
  ['  of which noticing (the last let go), ÷ timeout', '×', 'notice_silent_vs_timeout', false],
  ['  of which rerouting after that', 'ms', 'reroute_after_notice_ms', false],
];

function cell(s, base) {
  if (!s) return '';
  const spread = s.median ? ((s.max - s.min) / 2 / Math.abs(s.median)) * 100 : 0;
  const ratio = base && base.median ? ` (${fmt(s.median / base.median)})` : '';
  return `${fmt(s.median)} ±${spread < 10 ? spread.toFixed(1) : spread.toFixed(0)}%${ratio}`;
}

/** The Markdown table; rows marked with a ratio show (÷ the 2-worker value) too. */
export function scaleTable(samples) {
  const head = ['row', 'unit', ...SCALE_SIZES.map((n) => `${n.toLocaleString('en-US')} workers`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const [label, unit, key, ratio] of ROWS) {
    const base = summarize(samples.get('scale-2') ?? [], key);
    const cells = SCALE_SIZES.map((n) => {
      const s = summarize(samples.get(`scale-${n}`) ?? [], key);
      return cell(s, ratio && n !== 2 ? base : undefined);
    });
    lines.push(`| ${[label, unit, ...cells].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The goals at 1,000 workers: each measured median, and whether it is met. */
export function scaleGoals(samples) {
  const m = (n, key) => summarize(samples.get(`scale-${n}`) ?? [], key)?.median;
  const cpu2 = m(2, 'master_cpu_us_per_task');
  const cpu1000 = m(1000, 'master_cpu_us_per_task');
  const list = [
    ['master CPU per task at 1,000 workers <= 2 x at 2', cpu2 && cpu1000 ? cpu1000 / cpu2 : undefined, (x) => x <= 2],
    ['idle heartbeat cost at 1,000 workers < 5% of a core', m(1000, 'idle_cpu_pct'), (x) => x < 5],
    // A silent worker is lost by definition when the timeout has passed since its last sign of
    // life; the master lets it go then (timers may fire a few ms late), then reroutes its tasks.
    [
      'silent 10% at 1,000: let go at the heartbeat timeout (x timeout, timers 2% late at most)',
      m(1000, 'notice_silent_vs_timeout'),
      (x) => x <= 1.02,
    ],
    [
      'silent 10% at 1,000: rerouted within a tenth of the timeout after that (ms)',
      m(1000, 'reroute_after_notice_ms'),
      (x) => x <= 500,
    ],
  ];
  return goalTable(list);
}
