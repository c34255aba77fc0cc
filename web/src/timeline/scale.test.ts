// Time scale, zoom/pan clamping and axis ticks.
import { describe, expect, it } from 'vitest';
import {
  clampWindow,
  cssPxToMs,
  formatClockTick,
  formatElapsed,
  MIN_SPAN_MS,
  msToCssPx,
  panWindow,
  tickStepMs,
  ticks,
  zoomWindow,
} from './scale';

const bounds = { t0Ms: 0, t1Ms: 100_000 };

describe('scale', () => {
  it('maps ms to css px and back', () => {
    const s = { t0Ms: 1000, t1Ms: 3000, x0CssPx: 100, widthCssPx: 400 };
    expect(msToCssPx(s, 2000)).toBe(300);
    expect(cssPxToMs(s, 300)).toBe(2000);
    expect(cssPxToMs(s, msToCssPx(s, 1234.5))).toBeCloseTo(1234.5, 9);
  });

  it('zooms at the cursor keeping the anchor in place', () => {
    const w = zoomWindow({ t0Ms: 10_000, t1Ms: 20_000 }, 12_000, 0.5, bounds);
    expect(w).toEqual({ t0Ms: 11_000, t1Ms: 16_000 });
    const out = zoomWindow(w, 12_000, 1000, bounds);
    expect(out).toEqual(bounds);
  });

  it('never zooms below the minimum span', () => {
    let w = { t0Ms: 10_000, t1Ms: 20_000 };
    for (let i = 0; i < 100; i++) w = zoomWindow(w, 15_000, 0.1, bounds);
    expect(w.t1Ms - w.t0Ms).toBeCloseTo(MIN_SPAN_MS, 9);
    expect(w.t0Ms).toBeLessThanOrEqual(15_000);
    expect(w.t1Ms).toBeGreaterThanOrEqual(15_000);
  });

  it('pans without shrinking at the edges', () => {
    expect(panWindow({ t0Ms: 90_000, t1Ms: 95_000 }, 20_000, bounds)).toEqual({
      t0Ms: 95_000,
      t1Ms: 100_000,
    });
    expect(panWindow({ t0Ms: 1000, t1Ms: 6000 }, -5000, bounds)).toEqual({ t0Ms: 0, t1Ms: 5000 });
    expect(clampWindow({ t0Ms: NaN, t1Ms: NaN }, bounds)).toEqual(bounds);
  });

  it('picks tick steps that keep labels apart', () => {
    expect(tickStepMs(60_000, 600, 90)).toBe(10_000);
    expect(tickStepMs(1, 1000, 90)).toBe(0.1);
    expect(tickStepMs(3_600_000, 1200, 90)).toBe(300_000);
    for (const span of [0.7, 13, 999, 12_345, 7_654_321, 9e8]) {
      const step = tickStepMs(span, 800, 90);
      expect((step / span) * 800).toBeGreaterThanOrEqual(90);
    }
  });

  it('aligns clock ticks to UTC and elapsed ticks to the run start', () => {
    const start = Date.UTC(2026, 10, 28, 14, 36, 23, 400);
    const w = { t0Ms: start, t1Ms: start + 30_000 };
    const clock = ticks(w, 10_000, 0);
    expect(clock.map((t) => formatClockTick(t, 10_000))).toEqual(['14:36:30', '14:36:40', '14:36:50']);
    const elapsed = ticks(w, 10_000, start);
    expect(elapsed.map((t) => formatElapsed(t - start, 10_000))).toEqual(['+0', '+10 s', '+20 s', '+30 s']);
  });

  it('formats labels with the precision of the step', () => {
    const t = Date.UTC(2026, 0, 1, 9, 5, 0, 250);
    expect(formatClockTick(t, 100)).toBe('09:05:00.250');
    expect(formatClockTick(Date.UTC(2026, 0, 1, 9, 5), 300_000)).toBe('09:05');
    expect(formatElapsed(90_000, 30_000)).toBe('+1 min 30 s');
    expect(formatElapsed(3_900_000, 300_000)).toBe('+1 h 05 min');
    expect(formatElapsed(0.25, 0.05)).toBe('+0.25 ms');
  });
});
