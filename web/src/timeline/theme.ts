// The timeline's colours: read from the page's CSS and the OS theme, watched for changes, with hatched fills for open tests.
import { prefersDark, statusFillByCode } from '../app/status-colors';

export interface Theme {
  dark: boolean;
  fills: readonly string[];
  text: string;
  muted: string;
  grid: string;
  laneBg: string;
  /** Idle gaps of a worker: between its first start and last end, no test of its running. */
  idle: string;
  accent: string;
  hover: string;
}

export function readTheme(root: HTMLElement): Theme {
  const dark = prefersDark();
  const css = getComputedStyle(root);
  const v = (name: string, fallback: string): string => css.getPropertyValue(name).trim() || fallback;
  return {
    dark,
    fills: statusFillByCode(dark),
    text: v('--text', dark ? '#e6e9ed' : '#1b1f24'),
    muted: v('--muted', dark ? '#9aa4b0' : '#5b6470'),
    grid: dark ? 'rgba(255,255,255,0.08)' : 'rgba(0,0,0,0.07)',
    laneBg: dark ? 'rgba(255,255,255,0.03)' : 'rgba(0,0,0,0.025)',
    idle: dark ? 'rgba(255,170,60,0.16)' : 'rgba(230,130,20,0.14)',
    accent: dark ? '#FFD54A' : '#1A1A1A',
    hover: dark ? '#FFFFFF' : '#0B5CAD',
  };
}

/** Hatch pattern for tests with no end: the status colour faded, with stripes. */
function hatchPattern(ctx: CanvasRenderingContext2D, color: string, dpr: number): CanvasPattern | string {
  const size = Math.max(6, Math.round(6 * dpr));
  const c = document.createElement('canvas');
  c.width = size;
  c.height = size;
  const g = c.getContext('2d');
  if (!g) return color;
  g.fillStyle = color;
  g.globalAlpha = 0.35;
  g.fillRect(0, 0, size, size);
  g.globalAlpha = 1;
  g.strokeStyle = color;
  g.lineWidth = Math.max(1, dpr * 1.5);
  g.beginPath();
  g.moveTo(0, size);
  g.lineTo(size, 0);
  g.moveTo(-size / 2, size / 2);
  g.lineTo(size / 2, -size / 2);
  g.moveTo(size / 2, size + size / 2);
  g.lineTo(size + size / 2, size / 2);
  g.stroke();
  return ctx.createPattern(c, 'repeat') ?? color;
}

/** The current theme and its cached hatch patterns. The OS theme is watched, not polled: matchMedia per frame costs more than the bars. */
export class ThemeWatcher {
  current: Theme;
  private patterns = new Map<string, CanvasPattern | string>();
  private changed = false;
  private readonly root: HTMLElement;
  private readonly darkQuery: MediaQueryList | null;
  private readonly onChange: () => void;

  constructor(root: HTMLElement, onChange: () => void) {
    this.root = root;
    this.current = readTheme(root);
    this.onChange = (): void => {
      this.changed = true;
      onChange();
    };
    this.darkQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
    this.darkQuery?.addEventListener('change', this.onChange);
  }

  /** Re-reads the theme if the OS changed it since the last frame; true when it did. */
  refreshIfChanged(): boolean {
    if (!this.changed) return false;
    this.changed = false;
    this.patterns = new Map();
    this.current = readTheme(this.root);
    return true;
  }

  /** Patterns are drawn at one device pixel ratio: a resize drops them. */
  forgetPatterns(): void {
    this.patterns = new Map();
  }

  /** The fill of a bucket key (batch.ts): the status colour, hatched for tests with no end. */
  fillFor(key: number, ctx: CanvasRenderingContext2D, dpr: number): CanvasPattern | string {
    const color = this.current.fills[key >> 2] ?? '#888';
    if ((key & 1) === 0) return color;
    let p = this.patterns.get(color);
    if (p === undefined) this.patterns.set(color, (p = hatchPattern(ctx, color, dpr)));
    return p;
  }

  destroy(): void {
    this.darkQuery?.removeEventListener('change', this.onChange);
  }
}
