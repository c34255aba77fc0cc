// The load lanes' place in the timeline: their canvas under the tests, the dstat time shift and its note.
import { alignmentNotes, drawLoadLanes } from '../lanes/load-lanes';
import type { TimelineContext } from './context';
import { GUTTER_CSS_PX, LOAD_GAP_CSS_PX, LOAD_LANE_CSS_PX } from './geometry';

export class LoadView {
  private readonly t: TimelineContext;
  private readonly ctx: CanvasRenderingContext2D | null;

  /** onShift: the user typed a new shift (minutes); the state is already updated. */
  constructor(t: TimelineContext, onShift: (shiftMin: number) => void) {
    this.t = t;
    this.ctx = t.dom.loadCanvas.getContext('2d');
    const input = t.dom.shiftInput;
    input.addEventListener('change', () => {
      const v = Number(input.value);
      const shift = Number.isFinite(v) ? v : 0;
      t.state.view = { ...t.state.view, dstatShiftMin: shift };
      onShift(shift);
    });
  }

  draw(): void {
    const load = this.t.state.load;
    if (!load || !this.ctx) return;
    const { state, geometry, dom } = this.t;
    const theme = this.t.theme.current;
    const ctx = this.ctx;
    const dpr = geometry.dpr;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, dom.loadCanvas.width, dom.loadCanvas.height);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawLoadLanes(
      ctx,
      load,
      {
        x0CssPx: GUTTER_CSS_PX,
        widthCssPx: geometry.plotWidthCssPx(),
        laneHeightCssPx: LOAD_LANE_CSS_PX,
        laneGapCssPx: LOAD_GAP_CSS_PX,
        dpr,
      },
      state.win.t0Ms,
      state.win.t1Ms,
      state.dstatShiftMs,
      { text: theme.text, muted: theme.muted, grid: theme.grid },
    );
  }

  /** The shift field follows the URL. */
  showShift(): void {
    this.t.dom.shiftInput.value = String(this.t.state.view.dstatShiftMin);
  }

  /** The note beside the shift: the log's time zone is a guess, or the shifted log misses the run. */
  renderNote(): void {
    const { state, dom } = this.t;
    if (!state.load) return;
    const parts = alignmentNotes(state.load, state.dstatShiftMs, {
      startMs: state.runStartMs,
      endMs: state.runEndMs,
      overlaps: state.dstatOverlaps(),
    });
    dom.dstatNote.textContent = parts.join(' ');
    dom.dstatNote.classList.toggle('tl-warn', parts.length > 0);
  }

  /** Viewport y of the first load lane's middle, for tests and the benchmark. */
  lanesClientY(): number | null {
    if (!this.t.state.load) return null;
    return this.t.dom.loadCanvas.getBoundingClientRect().top + LOAD_LANE_CSS_PX / 2;
  }
}
