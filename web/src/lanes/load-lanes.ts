// The dstat load lanes under the timeline: which lanes exist, drawing them from per-pixel buckets, values at an instant.
import { formatUtc } from '../app/format';
import {
  bucketColumns,
  formatBytes,
  nearestRow,
  seriesMax,
  typicalIntervalMs,
  type Columns,
  type LoadLog,
} from './series';

export type LaneUnit = 'percent' | 'bytes' | 'bytesPerSecond' | 'plain';

export interface LaneSeriesDef {
  /** DstatSeriesName (src/formats/dstat). */
  readonly name: string;
  readonly label: string;
  readonly color: string;
}

export interface LoadLaneDef {
  readonly id: string;
  readonly title: string;
  /** stacked: areas on top of each other (CPU, 0–100 %); area: one filled series; lines: one line per series. */
  readonly kind: 'stacked' | 'area' | 'lines';
  readonly unit: LaneUnit;
  readonly fixedMax?: number;
  readonly series: readonly LaneSeriesDef[];
}

export const LOAD_LANES: readonly LoadLaneDef[] = [
  {
    id: 'cpu',
    title: 'CPU',
    kind: 'stacked',
    unit: 'percent',
    fixedMax: 100,
    series: [
      { name: 'cpu_user', label: 'user', color: '#3A7BD5' },
      { name: 'cpu_system', label: 'system', color: '#E08A3C' },
      { name: 'cpu_wait', label: 'wait', color: '#C0392B' },
    ],
  },
  {
    id: 'mem',
    title: 'Memory',
    kind: 'area',
    unit: 'bytes',
    series: [{ name: 'mem_used', label: 'used', color: '#8E6CCF' }],
  },
  {
    id: 'net',
    title: 'Network',
    kind: 'lines',
    unit: 'bytesPerSecond',
    series: [
      { name: 'net_recv', label: 'recv', color: '#2A9D8F' },
      { name: 'net_send', label: 'send', color: '#E76F51' },
    ],
  },
  {
    id: 'disk',
    title: 'Disk',
    kind: 'lines',
    unit: 'bytesPerSecond',
    series: [
      { name: 'disk_read', label: 'read', color: '#4F83B0' },
      { name: 'disk_write', label: 'write', color: '#C9A227' },
    ],
  },
  {
    id: 'load',
    title: 'Load avg',
    kind: 'lines',
    unit: 'plain',
    series: [
      { name: 'load_1m', label: '1m', color: '#5A5A5A' },
      { name: 'load_5m', label: '5m', color: '#8C8C8C' },
      { name: 'load_15m', label: '15m', color: '#B5B5B5' },
    ],
  },
];

export function formatValue(v: number, unit: LaneUnit): string {
  if (!Number.isFinite(v)) return '–';
  switch (unit) {
    case 'percent':
      return `${v.toFixed(1)} %`;
    case 'bytes':
      return formatBytes(v);
    case 'bytesPerSecond':
      return `${formatBytes(v)}/s`;
    case 'plain':
      return v.toFixed(2);
  }
}

function hasData(values: Float64Array | undefined): values is Float64Array {
  if (!values) return false;
  for (const v of values) if (!Number.isNaN(v)) return true;
  return false;
}

/** A lane ready to draw: its series (those the log has), the values drawn (cumulative for stacked), its scale. */
export interface PreparedLane {
  readonly def: LoadLaneDef;
  readonly series: readonly { def: LaneSeriesDef; values: Float64Array; drawn: Float64Array }[];
  readonly max: number;
}

export interface PreparedLoad {
  readonly log: LoadLog;
  readonly lanes: readonly PreparedLane[];
  readonly intervalMs: number;
  readonly startMs: number;
  readonly endMs: number;
}

/** Picks the lanes the log has data for, and precomputes the stacked sums once (not per frame). */
export function prepareLoad(log: LoadLog): PreparedLoad {
  const lanes: PreparedLane[] = [];
  for (const def of LOAD_LANES) {
    const present = def.series
      .map((s) => ({ def: s, values: log.series[s.name] }))
      .filter((s): s is { def: LaneSeriesDef; values: Float64Array } => hasData(s.values));
    if (present.length === 0) continue;
    let acc: Float64Array | null = null;
    const series = present.map((s) => {
      if (def.kind !== 'stacked') return { ...s, drawn: s.values };
      const drawn = new Float64Array(s.values.length);
      for (let i = 0; i < drawn.length; i++) {
        const v = s.values[i] ?? NaN;
        drawn[i] = (acc?.[i] ?? 0) + (Number.isNaN(v) ? 0 : v);
      }
      acc = drawn;
      return { ...s, drawn };
    });
    let max = def.fixedMax ?? 0;
    if (def.fixedMax === undefined) for (const s of series) max = Math.max(max, seriesMax(s.drawn));
    lanes.push({ def, series, max: max > 0 ? max : 1 });
  }
  const t = log.timeMs;
  return {
    log,
    lanes,
    intervalMs: typicalIntervalMs(t),
    startMs: t.length > 0 ? (t[0] ?? NaN) : NaN,
    endMs: t.length > 0 ? (t[t.length - 1] ?? NaN) : NaN,
  };
}

/** Whether the log, shifted by shiftMs, overlaps the run [runStartMs, runEndMs] (UTC ms). */
export function overlapsRun(p: PreparedLoad, shiftMs: number, runStartMs: number, runEndMs: number): boolean {
  return p.startMs + shiftMs <= runEndMs && p.endMs + shiftMs >= runStartMs;
}

/**
 * What to tell the user about lining the log up with the run: its time zone is a guess, or (overlaps false) the
 * shifted log misses the run. Empty when there is nothing to say.
 */
export function alignmentNotes(
  p: PreparedLoad,
  shiftMs: number,
  run: { startMs: number; endMs: number; overlaps: boolean | null },
): string[] {
  const parts: string[] = [];
  if (!p.log.timeBasis.certain) {
    parts.push(
      `The dstat log's time zone is a guess (${p.log.timeBasis.source ?? 'no date metadata'}): if the load does not line up with the tests, shift it.`,
    );
  }
  if (run.overlaps === false) {
    parts.push(
      `The dstat log (${formatUtc(p.startMs + shiftMs, false)} – ${formatUtc(p.endMs + shiftMs, false)}) does not overlap the run (${formatUtc(run.startMs)} – ${formatUtc(run.endMs)}), so its load lanes are hidden; if the two clocks differ, shift the log.`,
    );
  }
  return parts;
}

export interface LaneGeometry {
  readonly x0CssPx: number;
  readonly widthCssPx: number;
  readonly laneHeightCssPx: number;
  readonly laneGapCssPx: number;
  readonly dpr: number;
}

/** Values of every drawn series at an instant (null-prototype: series names are data), or null outside the log. */
export function valuesAt(p: PreparedLoad, ms: number, shiftMs: number): Record<string, number> | null {
  const row = nearestRow(p.log.timeMs, ms, shiftMs, p.intervalMs * 1.5);
  if (row < 0) return null;
  const out = Object.create(null) as Record<string, number>;
  for (const lane of p.lanes) for (const s of lane.series) out[s.def.name] = s.values[row] ?? NaN;
  return out;
}

/** One text line per lane for the hover readout, e.g. `CPU  user 18.4 % · system 4.3 % · wait 0.2 %`. */
export function readoutLines(
  p: PreparedLoad,
  values: Record<string, number>,
): { title: string; text: string }[] {
  return p.lanes.map((lane) => ({
    title: lane.def.title,
    text: lane.series
      .map((s) => `${s.def.label} ${formatValue(values[s.def.name] ?? NaN, lane.def.unit)}`)
      .join(' · '),
  }));
}

/** The scale a lane was drawn at: its visible maximum (0 = idle in the window), as its label says it. */
export interface LaneScale {
  readonly id: string;
  readonly max: number;
  readonly label: string;
}

/** The largest value a lane's columns (and the samples either side, whose lines enter the view) reach. */
function visibleMax(cols: readonly Columns[]): number {
  let m = 0;
  for (const c of cols) {
    for (const v of c.max) if (v > m) m = v;
    if (c.before && c.before.v > m) m = c.before.v;
    if (c.after && c.after.v > m) m = c.after.v;
  }
  return m;
}

/**
 * Draws the lanes for the window [t0Ms, t1Ms]. Every series is bucketed into one column per device pixel; a
 * line goes through each column's first, min, max and last value, so spikes narrower than a pixel still show.
 * Each lane (but CPU's fixed 0–100 %) is scaled to what the window shows, so a disk lane does not lie flat
 * under a peak off screen; a lane with nothing but zeros in view says "idle". Returns the scales drawn.
 */
export function drawLoadLanes(
  ctx: CanvasRenderingContext2D,
  p: PreparedLoad,
  g: LaneGeometry,
  t0Ms: number,
  t1Ms: number,
  shiftMs: number,
  colors: { text: string; muted: string; grid: string },
): LaneScale[] {
  const widthDevicePx = Math.max(1, Math.round(g.widthCssPx * g.dpr));
  const scales: LaneScale[] = [];
  const colCss = g.widthCssPx / widthDevicePx;
  ctx.save();
  ctx.beginPath();
  ctx.rect(g.x0CssPx, 0, g.widthCssPx, p.lanes.length * (g.laneHeightCssPx + g.laneGapCssPx));
  ctx.clip();
  p.lanes.forEach((lane, li) => {
    const top = li * (g.laneHeightCssPx + g.laneGapCssPx);
    const bottom = top + g.laneHeightCssPx;
    const colsOf = new Map(
      lane.series.map((s) => [s, bucketColumns(p.log.timeMs, s.drawn, shiftMs, t0Ms, t1Ms, widthDevicePx)]),
    );
    const seen = visibleMax([...colsOf.values()]);
    const max = lane.def.fixedMax ?? seen;
    scales.push({
      id: lane.def.id,
      max,
      label:
        lane.def.fixedMax !== undefined
          ? `max ${formatValue(max, lane.def.unit)}`
          : seen > 0
            ? `max ${formatValue(seen, lane.def.unit)}`
            : 'idle (0)',
    });
    const scaleMax = max > 0 ? max : 1;
    const yOf = (v: number): number => bottom - (Math.min(v, scaleMax) / scaleMax) * (g.laneHeightCssPx - 2);
    ctx.strokeStyle = colors.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(g.x0CssPx, bottom + 0.5);
    ctx.lineTo(g.x0CssPx + g.widthCssPx, bottom + 0.5);
    ctx.stroke();
    // Stacked areas are painted top layer first, so each lower layer covers its part.
    const order = lane.def.kind === 'stacked' ? [...lane.series].reverse() : lane.series;
    for (const s of order) {
      const cols = colsOf.get(s) ?? bucketColumns(p.log.timeMs, s.drawn, shiftMs, t0Ms, t1Ms, widthDevicePx);
      const area = lane.def.kind !== 'lines';
      if (cols.count > widthDevicePx / 2) {
        // Dense (at least a sample for every other pixel): one bar per pixel column, min to max (lines) or
        // baseline to max (areas). Rectangles on the pixel grid cost far less to rasterise than a long
        // anti-aliased polyline through 4 points a column, and show the same envelope.
        ctx.fillStyle = s.def.color;
        ctx.globalAlpha = area ? 0.75 : 1;
        const minBar = 1 / g.dpr;
        for (let c = 0; c < widthDevicePx; c++) {
          const mx = cols.max[c] ?? NaN;
          if (Number.isNaN(mx)) continue;
          const yTop = yOf(mx);
          const yBottom = area ? bottom : yOf(cols.min[c] ?? mx);
          ctx.fillRect(g.x0CssPx + c * colCss, yTop, colCss, Math.max(minBar, yBottom - yTop));
        }
        ctx.globalAlpha = 1;
        continue;
      }
      ctx.beginPath();
      let started = false;
      let firstX = 0;
      let lastX = 0;
      const point = (x: number, v: number): void => {
        const y = yOf(v);
        if (!started) {
          ctx.moveTo(x, area ? bottom : y);
          if (area) ctx.lineTo(x, y);
          started = true;
          firstX = x;
        } else ctx.lineTo(x, y);
        lastX = x;
      };
      if (cols.before) point(g.x0CssPx + cols.before.x * colCss, cols.before.v);
      for (let c = 0; c < widthDevicePx; c++) {
        const f = cols.first[c] ?? NaN;
        if (Number.isNaN(f)) continue;
        const x = g.x0CssPx + (c + 0.5) * colCss;
        if (area) {
          point(x, cols.max[c] ?? f);
        } else {
          point(x, f);
          if ((cols.min[c] ?? f) !== (cols.max[c] ?? f)) {
            point(x, cols.min[c] ?? f);
            point(x, cols.max[c] ?? f);
          }
          point(x, cols.last[c] ?? f);
        }
      }
      if (cols.after) point(g.x0CssPx + cols.after.x * colCss, cols.after.v);
      if (!started) continue;
      if (area) {
        ctx.lineTo(lastX, bottom);
        ctx.lineTo(firstX, bottom);
        ctx.closePath();
        ctx.fillStyle = s.def.color;
        ctx.globalAlpha = 0.75;
        ctx.fill();
        ctx.globalAlpha = 1;
      } else {
        ctx.strokeStyle = s.def.color;
        ctx.lineWidth = 1.25;
        ctx.stroke();
      }
    }
  });
  ctx.restore();
  // Labels in the gutter: the lane's title and its scale.
  ctx.fillStyle = colors.text;
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  p.lanes.forEach((lane, li) => {
    const top = li * (g.laneHeightCssPx + g.laneGapCssPx);
    ctx.fillStyle = colors.text;
    ctx.fillText(lane.def.title, 6, top + 4, g.x0CssPx - 10);
    ctx.fillStyle = colors.muted;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillText(scales[li]?.label ?? '', 6, top + 20, g.x0CssPx - 10);
    drawLegend(ctx, lane, g.x0CssPx + g.widthCssPx - 6, top + 3, colors.muted);
    ctx.font = '12px system-ui, sans-serif';
  });
  return scales;
}

/** The lane's colour key, right-aligned at the top of its plot: a swatch and a label per series. */
function drawLegend(
  ctx: CanvasRenderingContext2D,
  lane: PreparedLane,
  rightCssPx: number,
  topCssPx: number,
  text: string,
): void {
  if (lane.series.length < 2 && lane.def.kind !== 'lines') return; // one area, named by the lane's title
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  let x = rightCssPx;
  for (let k = lane.series.length - 1; k >= 0; k--) {
    const s = lane.series[k];
    if (!s) continue;
    const w = ctx.measureText(s.def.label).width;
    x -= w;
    ctx.fillStyle = text;
    ctx.fillText(s.def.label, x, topCssPx);
    x -= 12;
    ctx.fillStyle = s.def.color;
    ctx.fillRect(x, topCssPx + 2, 9, 9);
    x -= 8;
  }
}
