/**
 * The cluster view's page, bundled with uPlot by esbuild: a chart of the pool's throughput
 * and queue, then one lane per worker with the tasks it finished in each second of the last
 * minute (a task stream, from the master's per-second aggregates), its CPU and memory, and a
 * Profile button. A click on a lane shows the worker's host, state and current task, with
 * Interrupt.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ClusterSample } from '../../../protocol/messages/lsp-cluster-messages';
import type { WorkerSummary } from '../../../protocol/worker-summary';
import { LANE_SECONDS, type FromPage, type ToPage } from './page-messages';

declare function acquireVsCodeApi(): { postMessage(m: FromPage): void };
const vscode = acquireVsCodeApi();

let samples: ClusterSample[] = [];
let workers: WorkerSummary[] = [];
let selected: string | undefined;
const lanes = new Map<string, { row: HTMLElement; plot: uPlot; info: HTMLElement }>();

const $ = (id: string) => document.getElementById(id)!;
const css = (name: string, fallback: string) =>
  getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

function chartWidth(el: HTMLElement): number {
  return Math.max(200, el.clientWidth);
}

const axisStyle = () => ({ stroke: css('--vscode-descriptionForeground', '#888'), grid: { show: false } });

const pool = new uPlot(
  {
    width: chartWidth($('pool')),
    height: 150,
    legend: { show: true },
    cursor: { show: false },
    scales: { x: { time: true }, queue: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [axisStyle(), { ...axisStyle(), label: 'tasks/s' }, { ...axisStyle(), side: 1, scale: 'queue' }],
    series: [
      {},
      { label: 'tasks/s', stroke: css('--vscode-charts-blue', '#3794ff'), width: 2 },
      { label: 'queued', stroke: css('--vscode-charts-orange', '#d18616'), width: 1, scale: 'queue' },
    ],
  },
  [[], [], []],
  $('pool'),
);

function laneFor(w: { id: string }): { row: HTMLElement; plot: uPlot; info: HTMLElement } {
  const found = lanes.get(w.id);
  if (found) return found;
  const row = document.createElement('div');
  row.className = 'lane';
  row.dataset.worker = w.id;
  const info = document.createElement('div');
  info.className = 'lane-info';
  const chart = document.createElement('div');
  chart.className = 'lane-chart';
  const profile = document.createElement('button');
  profile.className = 'lane-profile';
  profile.textContent = 'Profile';
  profile.title = `Profile ${w.id}: a CPU profile of its eval thread, opened in the profile viewer`;
  // Profiling a worker does not select its lane.
  profile.addEventListener('click', (e) => {
    e.stopPropagation();
    vscode.postMessage({ type: 'profile', worker: w.id });
  });
  // Before the chart, which is drawn at its width when the lane appears and may overflow it.
  row.append(info, profile, chart);
  row.addEventListener('click', () => select(w.id));
  $('lanes').append(row);
  const plot = new uPlot(
    {
      width: chartWidth(chart),
      height: 34,
      legend: { show: false },
      cursor: { show: false },
      padding: [2, 0, 2, 0],
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{ show: false }, { show: false }],
      series: [
        {},
        {
          stroke: css('--vscode-charts-green', '#89d185'),
          fill: css('--vscode-charts-green', '#89d185'),
          paths: uPlot.paths.bars!({ size: [0.9, 100] }),
          points: { show: false },
        },
      ],
    },
    [[], []],
    chart,
  );
  const lane = { row, plot, info };
  lanes.set(w.id, lane);
  return lane;
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? '–' : `${Math.round(bytes / 1e6)} MB`;
}

function pct(cores: number | undefined): string {
  return cores === undefined ? '–' : `${Math.round(cores * 100)}%`;
}

function render(): void {
  const last = samples[samples.length - 1];
  const ids = new Set([
    ...workers.filter((w) => w.state !== 'closed').map((w) => w.id),
    ...(last?.workers ?? []).map((w) => w.id),
  ]);
  const count = `${ids.size} worker${ids.size === 1 ? '' : 's'}`;
  $('summary').textContent = last
    ? `${last.throughput} tasks/s · ${last.queued} queued · ${last.inFlight} in flight · ${count}`
    : 'waiting for the first sample from the master…';
  const xs = samples.map((s) => s.at / 1000);
  pool.setData([xs, samples.map((s) => s.throughput), samples.map((s) => s.queued)]);
  for (const [id, lane] of lanes)
    if (!ids.has(id)) {
      lane.row.remove();
      lanes.delete(id);
    }
  for (const id of ids) {
    const lane = laneFor({ id });
    // Each bar: the tasks the worker finished in that second, as tasks/s of the sample's own interval.
    lane.plot.setData([xs, samples.map((s) => rate(s.workers.find((w) => w.id === id)?.tasks ?? 0, s.ms))]);
    const now = last?.workers.find((w) => w.id === id);
    const summary = workers.find((w) => w.id === id);
    lane.info.textContent =
      `${id}  ${now ? rate(now.tasks, last.ms) : 0} tasks/s  ` +
      `CPU ${pct(now?.cpu ?? summary?.load?.cpu)}  mem ${mb(now?.rssBytes ?? summary?.load?.rssBytes)}`;
    lane.row.classList.toggle('selected', id === selected);
  }
  renderDetails();
}

function rate(tasks: number, ms: number): number {
  return Math.round((tasks * 1000) / Math.max(1, ms));
}

function select(id: string): void {
  selected = selected === id ? undefined : id;
  render();
}

function renderDetails(): void {
  const box = $('details');
  const w = workers.find((x) => x.id === selected);
  box.hidden = !w;
  if (!w) return;
  const rows: [string, string][] = [
    ['worker', `${w.id} (${w.name})`],
    ['host', `${w.host} · pid ${w.pid} · ${w.address}`],
    ['state', `${w.state}${w.inFlight ? `, ${w.inFlight} in flight` : ', idle'}`],
    ['current task', w.currentTask ?? '–'],
    ['tasks done', String(w.tasksDone)],
    ['CPU · memory', `${pct(w.load?.cpu)} · ${mb(w.load?.rssBytes)}`],
  ];
  if (w.slurm) rows.push(['slurm', `job ${w.slurm.job} on ${w.slurm.node}`]);
  $('details-rows').replaceChildren(
    ...rows.map(([k, v]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.textContent = k;
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(th, td);
      return tr;
    }),
  );
}

$('interrupt').addEventListener('click', () => {
  if (selected) vscode.postMessage({ type: 'interrupt', worker: selected });
});

window.addEventListener('message', (e: MessageEvent<ToPage>) => {
  const m = e.data;
  if (m.type === 'history') samples = m.samples.slice(-LANE_SECONDS);
  else if (m.type === 'sample') samples = [...samples, m.sample].slice(-LANE_SECONDS);
  else workers = m.workers;
  render();
});

new ResizeObserver(() => {
  pool.setSize({ width: chartWidth($('pool')), height: 150 });
  for (const lane of lanes.values()) {
    const chart = lane.row.querySelector<HTMLElement>('.lane-chart')!;
    lane.plot.setSize({ width: chartWidth(chart), height: 34 });
  }
}).observe(document.body);

vscode.postMessage({ type: 'ready' });
render();
