// Bars batched by fill: one rect list per (status, dimmed, open) key, painted in status priority order.
import { BUCKETS, RectList, bucketPaintRank } from './batch';
import type { ThemeWatcher } from './theme';

/** Alpha of the bars that the search or the status filter dims. */
const DIM_ALPHA = 0.16;

export class BarBuckets {
  readonly lists: RectList[] = Array.from({ length: BUCKETS }, () => new RectList());
  private readonly paintOrder = Array.from({ length: BUCKETS }, (_, k) => k).sort(
    (a, b) => bucketPaintRank(a) - bucketPaintRank(b),
  );

  clear(): void {
    for (const b of this.lists) b.clear();
  }

  /** Fills every batched rect (device px), `barDevicePx` high, and leaves the context's alpha at 1. */
  paint(ctx: CanvasRenderingContext2D, theme: ThemeWatcher, dpr: number, barDevicePx: number): void {
    for (const key of this.paintOrder) {
      const list = this.lists[key];
      if (!list || list.length === 0) continue;
      ctx.fillStyle = theme.fillFor(key, ctx, dpr);
      ctx.globalAlpha = (key & 2) !== 0 ? DIM_ALPHA : 1;
      const d = list.data;
      for (let i = 0; i < list.length; i++)
        ctx.fillRect(d[i * 3] ?? 0, d[i * 3 + 1] ?? 0, d[i * 3 + 2] ?? 0, barDevicePx);
    }
    ctx.globalAlpha = 1;
  }
}
