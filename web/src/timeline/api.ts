// The timeline's public face: what mountTimeline takes and returns, and the read-only debug view tests and the benchmark use.
import type { ExportStatus } from '../../../src/contract/export-format';
import type { RunModel, TestFacts, TimelineTests } from '../model/types';
import type { TimelineViewState } from '../state/url';
import type { LoadLog } from '../lanes/series';

export interface TimelineOptions {
  run: RunModel;
  tests: TimelineTests;
  /**
   * A test's tags, attributes and id, for the selection panel: `tests` may come from the export's timeline index,
   * which has only what the timeline draws. Asked for when the test is selected.
   */
  testFacts(index: number): Promise<TestFacts>;
  dstat: LoadLog | null;
  state: TimelineViewState;
  onStateChange(patch: Partial<TimelineViewState>): void;
  onOpenTest(index: number): void;
  /** The history badges of test `index` (`--history`), shown in the selection panel; absent without history. */
  testBadges?(index: number): HTMLElement[];
}

export interface TimelineHandle {
  update(state: TimelineViewState): void;
  destroy(): void;
}

/** Read-only view of what was last drawn, for browser tests and the benchmark (`window.__stackvizTimeline`). */
export interface TimelineDebug {
  readonly t0Ms: number;
  readonly t1Ms: number;
  readonly runStartMs: number;
  readonly runEndMs: number;
  readonly selected: number;
  readonly hovered: number;
  readonly drawnByStatus: Readonly<Record<ExportStatus, number>>;
  readonly dimmed: number;
  readonly rects: number;
  readonly matches: number;
  readonly queryError: string | null;
  readonly frames: number;
  /** performance.now() (ms since navigation) when mountTimeline was called, and how long it took (layout, filter, DOM). */
  readonly mountAtMs: number;
  readonly mountMs: number;
  /** performance.now() (ms since navigation) when the first frame was drawn; also a `stackviz:timeline-drawn` mark. */
  readonly firstDrawAtMs: number | null;
  /** Draw times (ms) of the last frames, newest last. */
  readonly frameMs: readonly number[];
  /** Ticks on the overview (failures, unexpected successes, tests left running that the filter shows). */
  readonly overviewMarks: number;
  /** Each load lane's scale in the last frame (visible maximum and its label); [] when the lanes are hidden. */
  readonly loadScales: readonly { id: string; max: number; label: string }[];
  /** The axis labels of the last frame, and the plot's extent (css px, in the test canvas). */
  readonly axisLabels: readonly { text: string; x0CssPx: number; x1CssPx: number }[];
  readonly plotCssPx: { x0: number; x1: number };
  readonly lanes: number;
  readonly rows: number;
  /** Idle gaps the last frame drew (per lane, touching gaps merged), and every lane's gaps (UTC ms). */
  readonly idleGapsDrawn: number;
  readonly idleGaps: readonly { readonly worker: number; readonly gaps: readonly [number, number][] }[];
  readonly loadLanes: readonly string[];
  readonly dstatShiftMin: number;
  readonly dstatOverlapsRun: boolean | null;
  /** Every load series' value at an instant (UTC ms, shift applied), or null outside the log. */
  valueAt(ms: number): Record<string, number> | null;
  /** Viewport coordinates of a test's bar (its middle, clamped to the visible part), null when off screen. */
  testClientPoint(index: number): { x: number; y: number } | null;
  /** Viewport x of an instant, and the viewport y of the load lanes' middle. */
  msToClientX(ms: number): number;
  loadLanesClientY(): number | null;
}

declare global {
  interface Window {
    __stackvizTimeline?: TimelineDebug;
  }
}
