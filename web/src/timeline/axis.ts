// The time axis above the test rows: UTC clock ticks with grid lines, and elapsed time since the run's start.
import { AXIS_CSS_PX } from './geometry';
import { formatClockTick, formatElapsed, msToCssPx, tickStepMs, ticks, type TimeScale } from './scale';
import type { Theme } from './theme';

/** Ticks at least this far apart (css px). */
const TICK_SPACING_CSS_PX = 90;

/** Draws in css px (the context is scaled by the device pixel ratio); grid lines run down to heightCssPx. */
export function drawAxis(
  ctx: CanvasRenderingContext2D,
  s: TimeScale,
  heightCssPx: number,
  runStartMs: number,
  theme: Theme,
): void {
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
    ctx.fillText(formatClockTick(t, clockStep), x, 2);
  }
  ctx.fillStyle = theme.muted;
  for (const t of ticks(s, elapsedStep, runStartMs)) {
    const x = Math.round(msToCssPx(s, t)) + 0.5;
    ctx.fillRect(x - 0.5, AXIS_CSS_PX - 5, 1, 5);
    ctx.fillText(formatElapsed(t - runStartMs, elapsedStep), x, 17);
  }
  ctx.textAlign = 'left';
  ctx.fillStyle = theme.muted;
  ctx.fillText('UTC', 6, 2);
  ctx.fillText('since start', 6, 17);
}
