// The time axis above the test rows: UTC clock ticks with grid lines, and elapsed time since the run's start.
import { AXIS_CSS_PX } from './geometry';
import { formatClockTick, formatElapsed, msToCssPx, tickStepMs, ticks, type TimeScale } from './scale';
import type { Theme } from './theme';

/** Ticks at least this far apart (css px). */
const TICK_SPACING_CSS_PX = 90;

/** A label as drawn: its text and horizontal extent (css px), for the debug view. */
export interface AxisLabel {
  text: string;
  x0CssPx: number;
  x1CssPx: number;
}

const dayOf = (ms: number): number => Math.floor(ms / 86_400_000);

/**
 * Draws in css px (the context is scaled by the device pixel ratio); grid lines run down to heightCssPx. Labels
 * are kept inside the plot (the first and last are shifted in, not clipped; one shifted onto its neighbour is
 * left out, so labels never overlap); when the window spans more than
 * one UTC day, the first label and the first of each new day carry the date. Returns the labels drawn.
 */
export function drawAxis(
  ctx: CanvasRenderingContext2D,
  s: TimeScale,
  heightCssPx: number,
  runStartMs: number,
  theme: Theme,
): AxisLabel[] {
  const labels: AxisLabel[] = [];
  const left = s.x0CssPx + 2;
  const right = s.x0CssPx + s.widthCssPx - 2;
  // Where the previous label of each row ended: a label the edge pushed onto its neighbour is left out.
  const rowEnd = new Map<number, number>();
  const label = (text: string, x: number, y: number): void => {
    const w = ctx.measureText(text).width;
    const cx = Math.max(left + w / 2, Math.min(right - w / 2, x));
    if (cx - w / 2 < (rowEnd.get(y) ?? -Infinity) + 4) return;
    rowEnd.set(y, cx + w / 2);
    ctx.fillText(text, cx, y);
    labels.push({ text, x0CssPx: cx - w / 2, x1CssPx: cx + w / 2 });
  };
  const dated = dayOf(s.t0Ms) !== dayOf(s.t1Ms);
  let lastDay = NaN;
  const span = s.t1Ms - s.t0Ms;
  const clockStep = tickStepMs(span, s.widthCssPx, TICK_SPACING_CSS_PX);
  const elapsedStep = tickStepMs(span, s.widthCssPx, TICK_SPACING_CSS_PX);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'center';
  ctx.lineWidth = 1;
  for (const t of ticks(s, clockStep, 0)) {
    const x = Math.round(msToCssPx(s, t)) + 0.5;
    ctx.strokeStyle = theme.grid;
    ctx.beginPath();
    ctx.moveTo(x, 14);
    ctx.lineTo(x, heightCssPx);
    ctx.stroke();
    ctx.fillStyle = theme.text;
    const day = dayOf(t);
    const date = dated && day !== lastDay ? `${new Date(t).toISOString().slice(0, 10)} ` : '';
    lastDay = day;
    label(date + formatClockTick(t, clockStep), x, 2);
  }
  ctx.fillStyle = theme.muted;
  for (const t of ticks(s, elapsedStep, runStartMs)) {
    const x = Math.round(msToCssPx(s, t)) + 0.5;
    ctx.fillRect(x - 0.5, AXIS_CSS_PX - 5, 1, 5);
    label(formatElapsed(t - runStartMs, elapsedStep), x, 17);
  }
  ctx.textAlign = 'left';
  ctx.fillStyle = theme.muted;
  ctx.fillText('UTC', 6, 2);
  ctx.fillText('since start', 6, 17);
  return labels;
}
