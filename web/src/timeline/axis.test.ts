import { describe, expect, it } from 'vitest';
import { drawAxis } from './axis';
import type { Theme } from './theme';

/** Just what drawAxis uses of a canvas context; text is 6 css px a character wide. */
function fakeContext(): CanvasRenderingContext2D {
  const noop = (): void => undefined;
  return {
    measureText: (t: string) => ({ width: t.length * 6 }),
    fillText: noop,
    fillRect: noop,
    beginPath: noop,
    moveTo: noop,
    lineTo: noop,
    stroke: noop,
  } as unknown as CanvasRenderingContext2D;
}

const theme = { text: '#000', muted: '#666', grid: '#ccc' } as Theme;

describe('drawAxis', () => {
  it('never draws two labels of a row over each other, even when the last is shifted in', () => {
    // The example repository's run 2: 121 ms whose last 10 ms tick sits a few px from the right edge.
    for (const widthCssPx of [700, 1100, 1120, 1300]) {
      const t0Ms = Date.UTC(2026, 10, 28, 14, 36, 28, 168);
      const s = { t0Ms, t1Ms: t0Ms + 121.5, x0CssPx: 100, widthCssPx };
      const labels = drawAxis(fakeContext(), s, 200, t0Ms, theme);
      for (const row of [
        labels.filter((l) => /^[+−]/.test(l.text)),
        labels.filter((l) => !/^[+−]/.test(l.text)),
      ]) {
        const sorted = [...row].sort((a, b) => a.x0CssPx - b.x0CssPx);
        for (let i = 1; i < sorted.length; i++) {
          const [a, b] = [sorted[i - 1], sorted[i]] as [
            { x1CssPx: number },
            { x0CssPx: number; text: string },
          ];
          expect(b.x0CssPx, `${widthCssPx} px: ${b.text}`).toBeGreaterThanOrEqual(a.x1CssPx);
        }
        expect(sorted.length).toBeGreaterThan(3);
      }
    }
  });
});
