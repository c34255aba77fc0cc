// What the timeline's parts share: its state, geometry, elements and theme, and the few actions they may take.
import type { TimelineDom } from './dom';
import type { TimelineGeometry } from './geometry';
import type { TimeWindow } from './scale';
import type { TimelineState } from './state';
import type { ThemeWatcher } from './theme';

export interface TimelineContext {
  readonly state: TimelineState;
  readonly geometry: TimelineGeometry;
  readonly dom: TimelineDom;
  readonly theme: ThemeWatcher;
}

/** Changes that touch several parts; mountTimeline implements them once (controller.ts). */
export interface TimelineActions {
  /** Draws on the next animation frame (at most one pending). */
  requestDraw(): void;
  /** Moves the window (clamped); with notify the URL follows once the window rests. */
  setWindow(w: TimeWindow, notify?: boolean): void;
  /** Selects a test (-1 none); reveal pans it into view. */
  select(index: number, notify?: boolean, reveal?: boolean): void;
  /** Re-runs the search and status filter after the view's query, regex or statuses changed. */
  applyFilter(): void;
  /** Reports a window change not yet reported, now. */
  flushWindow(): void;
}
