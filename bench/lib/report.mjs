// The benchmark's table and goal check, as Markdown, from the runs of every system.
import { summarize } from './runner.mjs';

/** Table rows: which metric each system reports for a workload. */
export const ROWS = [
  {
    label: 'tiny map (x => x + 1), per element',
    unit: 'tasks/s',
    better: 'higher',
    crew: 'map_per_element',
    peer: 'map_per_element',
    floor: 'pipelined_msgs_s',
    floorNote: 'msgs/s pipelined',
  },
  {
    label: 'tiny map, grouped 1,000 per task',
    unit: 'tasks/s',
    better: 'higher',
    crew: 'map_grouped',
    peer: 'map_grouped',
  },
  { label: 'map of per-element string forms', unit: 'tasks/s', better: 'higher', crew: 'map_string_forms' },
  {
    label: 'one call, p50',
    unit: 'ms',
    better: 'lower',
    crew: 'call_p50_ms',
    peer: 'call_p50_ms',
    floor: 'echo_p50_ms',
    floorNote: 'echo',
  },
  {
    label: 'one call, p99',
    unit: 'ms',
    better: 'lower',
    crew: 'call_p99_ms',
    peer: 'call_p99_ms',
    floor: 'echo_p99_ms',
    floorNote: 'echo',
  },
  {
    label: "one worker, evalFormAllWorkers(pool, '1'), p50",
    unit: 'ms',
    better: 'lower',
    crew: 'one_worker_call_p50_ms',
    floor: 'thread_echo_p50_ms',
    floorNote: 'echo via a thread',
  },
  {
    label: "one worker, evalFormAllWorkers(pool, '1'), p99",
    unit: 'ms',
    better: 'lower',
    crew: 'one_worker_call_p99_ms',
    floor: 'thread_echo_p99_ms',
    floorNote: 'echo via a thread',
  },
  {
    label: 'the same echo via a thread, timed in turns with that call, p50',
    unit: 'ms',
    better: 'lower',
    crew: 'one_worker_echo_p50_ms',
  },
  {
    label: 'the same echo via a thread, timed in turns with that call, p99',
    unit: 'ms',
    better: 'lower',
    crew: 'one_worker_echo_p99_ms',
  },
  {
    label: 'tiny map, per element, while every worker is profiled',
    unit: 'tasks/s',
    better: 'higher',
    crew: 'map_per_element_profiled',
  },
  {
    label: 'the same map in turns with it, not profiled',
    unit: 'tasks/s',
    better: 'higher',
    crew: 'map_per_element_unprofiled',
  },
  { label: 'one call of a string form, p50', unit: 'ms', better: 'lower', crew: 'call_string_p50_ms' },
  { label: 'evalFormAllWorkers, p50', unit: 'ms', better: 'lower', crew: 'call_all_p50_ms' },
  { label: 'evalFormAllWorkers, p99', unit: 'ms', better: 'lower', crew: 'call_all_p99_ms' },
  {
    label: 'ready with 2 workers',
    unit: 's',
    better: 'lower',
    crew: 'startup_eval_s',
    peer: 'startup_s',
    floor: 'startup_s',
    floorNote: '2 bare processes dial in',
  },
  {
    label: 'ready with 48 local workers',
    unit: 's',
    better: 'lower',
    crew: 'startup_48_s',
    floor: 'startup_48_s',
    floorNote: '48 bare processes dial in',
  },
  {
    label: 'ready with 48 local workers, against processes that each start a thread too',
    unit: 's',
    better: 'lower',
    crew: 'startup_48_s',
    floor: 'startup_48_thread_s',
    floorNote: '48 bare processes, each with a thread',
  },
  { label: 'master CPU per task, tiny map, 2 workers', unit: 'µs', better: 'lower', crew: 'master_cpu_us_per_task' },
  {
    label: 'master CPU per task, tiny map, 48 local workers',
    unit: 'µs',
    better: 'lower',
    crew: 'master_cpu_us_per_task_48',
  },
  {
    label: 'CPU-bound, 8 × 200 ms: efficiency',
    unit: 'of ideal',
    better: 'higher',
    crew: 'cpu_efficiency',
    peer: 'cpu_efficiency',
  },
  {
    label: 'uneven map, 200 tasks, 5 slow: time',
    unit: '× ideal',
    better: 'lower',
    crew: 'uneven_vs_ideal',
    peer: 'uneven_vs_ideal',
  },
  {
    label: '64 MiB Float64Array out and back',
    unit: 'MiB/s',
    better: 'higher',
    crew: 'large_mib_s',
    peer: 'large_mib_s',
    floor: 'large_mib_s',
    floorNote: 'echo',
  },
  { label: 'master memory per task in flight (map)', unit: 'bytes', better: 'lower', crew: 'bytes_per_task' },
  { label: 'tasks a map holds at once, 2 workers', unit: 'tasks', better: 'lower', crew: 'map_tasks_held' },
  { label: 'master memory per pending evalOn call', unit: 'bytes', better: 'lower', crew: 'bytes_per_call' },
];

export function fmt(x) {
  if (x === undefined) return '';
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function cell(s) {
  if (!s) return '';
  const spread = s.median ? ((s.max - s.min) / 2 / Math.abs(s.median)) * 100 : 0;
  return `${fmt(s.median)} ±${spread < 10 ? spread.toFixed(1) : spread.toFixed(0)}%`;
}

/** The Markdown table: medians, spread (half the min-max range), and Crew ÷ each other system. */
export function table(systems, samples) {
  const cols = systems.map((s) => s.name);
  const stat = (name, key) => (key ? summarize(samples.get(name) ?? [], key) : undefined);
  const head = ['workload', 'unit', 'better', ...systems.map((s) => `${s.label} ${s.version}`.trim())];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of ROWS) {
    const crew = stat('crew', row.crew);
    const cells = cols.map((name) => {
      if (name === 'crew') return cell(crew);
      const key = name === 'floor' ? row.floor : row.peer;
      const s = stat(name, key);
      if (!s) return '';
      const ratio = crew && s.median ? ` (${fmt(crew.median / s.median)})` : '';
      return `${cell(s)}${name === 'floor' && row.floorNote ? ` ${row.floorNote}` : ''}${ratio}`;
    });
    lines.push(`| ${[row.label, row.unit, row.better, ...cells].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The issue's goals, each with the measured median and whether it is met. */
export function goals(samples) {
  const m = (name, key) => summarize(samples.get(name) ?? [], key)?.median;
  const crew = (key) => m('crew', key);
  const ratio = (a, b) => (a !== undefined && b !== undefined ? a / b : undefined);
  const list = [
    [
      'tiny map per element >= 1.5 x bare ws pipelined messages/s (same run)',
      ratio(crew('map_per_element'), m('floor', 'pipelined_msgs_s')),
      (x) => x >= 1.5,
    ],
    [
      'tiny map per element >= 100 x ipyparallel',
      ratio(crew('map_per_element'), m('ipyparallel', 'map_per_element')),
      (x) => x >= 100,
    ],
    [
      'tiny map per element >= 100 x Dask',
      ratio(crew('map_per_element'), m('dask', 'map_per_element')),
      (x) => x >= 100,
    ],
    [
      'tiny map per element about 2 x piscina',
      ratio(crew('map_per_element'), m('piscina', 'map_per_element')),
      (x) => x >= 2,
    ],
    [
      'one call p99 (evalOn(pool, null, ...), 2 workers) <= 2 x ws echo p99 (same run)',
      ratio(crew('call_p99_ms'), m('floor', 'echo_p99_ms')),
      (x) => x <= 2,
    ],
    [
      'one call p50 <= 5 x ws echo p50 (same run)',
      ratio(crew('call_p50_ms'), m('floor', 'echo_p50_ms')),
      (x) => x <= 5,
    ],
    [
      'one worker, one call p50 <= 1.3 x echo via a thread (timed in turns with it; median of runs)',
      crew('one_worker_vs_echo_p50'),
      (x) => x <= 1.3,
    ],
    [
      'one worker, one call p99 <= 2 x echo via a thread (timed in turns with it; median of runs)',
      crew('one_worker_vs_echo_p99'),
      (x) => x <= 2,
    ],
    [
      'one worker, first 200 calls p50 <= 1.5 x its warm p50 (same run)',
      crew('first_calls_vs_warm_p50'),
      (x) => x <= 1.5,
    ],
    [
      'evalFormAllWorkers p50 <= 5 x ws echo p50 (same run)',
      ratio(crew('call_all_p50_ms'), m('floor', 'echo_p50_ms')),
      (x) => x <= 5,
    ],
    [
      'ready with 2 local workers <= 1.15 x 2 bare processes dialing in (same run)',
      ratio(crew('startup_eval_s'), m('floor', 'startup_s')),
      (x) => x <= 1.15,
    ],
    [
      'ready with 48 local workers <= 1.15 x 48 bare processes dialing in (same run)',
      ratio(crew('startup_48_s'), m('floor', 'startup_48_s')),
      (x) => x <= 1.15,
    ],
    [
      'master CPU per task, 48 local workers <= 1.3 x 2 workers (same run)',
      ratio(crew('master_cpu_us_per_task_48'), crew('master_cpu_us_per_task')),
      (x) => x <= 1.3,
    ],
    ['CPU-bound efficiency >= 0.97', crew('cpu_efficiency'), (x) => x >= 0.97],
    [
      '64 MiB round trip >= 0.9 x ws floor (same run)',
      ratio(crew('large_mib_s'), m('floor', 'large_mib_s')),
      (x) => x >= 0.9,
    ],
    [
      '64 MiB round trip ahead of ipyparallel (same run)',
      ratio(crew('large_mib_s'), m('ipyparallel', 'large_mib_s')),
      (x) => x > 1,
    ],
    [
      'tiny map per element while profiling >= 0.9 x without (in turns, same run)',
      crew('profiling_rate_ratio'),
      (x) => x >= 0.9,
    ],
  ];
  return goalTable(list);
}

/** A Markdown table of goals: each `[label, measured value or undefined, (value) => met]`. */
export function goalTable(list) {
  const lines = ['| goal | measured | met |', '|---|---|---|'];
  for (const [label, value, ok] of list)
    lines.push(
      `| ${label} | ${value === undefined ? 'not measured' : fmt(value)} ` +
        `| ${value === undefined ? '-' : ok(value) ? 'yes' : '**no**'} |`,
    );
  return lines.join('\n');
}
