// Builds report folders for the viewer's browser tests: the built viewer (dist/web) plus sample data files.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const VIEWER_DIR = 'dist/web';
export const EXPECTED_DIR = 'test/fixtures/expected';

export function requireViewerBuild(): void {
  if (!existsSync(join(VIEWER_DIR, 'index.html'))) {
    throw new Error(`${VIEWER_DIR}/index.html is missing: run \`npm run build\` first (npm test does)`);
  }
}

export interface Site {
  dir: string;
  /** Copies the built viewer into `sub` ('' = the root). */
  addViewer(sub?: string): void;
  write(path: string, value: unknown, opts?: { gzip?: boolean }): void;
  remove(): void;
}

/** A fresh folder holding the viewer at its root; data files are added with write() or copyExpected(). */
export function makeSite(): Site {
  requireViewerBuild();
  const dir = mkdtempSync(join(tmpdir(), 'stackviz-viewer-'));
  cpSync(VIEWER_DIR, dir, { recursive: true });
  return {
    dir,
    addViewer(sub = '') {
      cpSync(VIEWER_DIR, join(dir, sub), { recursive: true });
    },
    write(path, value, opts = {}) {
      const full = join(dir, path);
      mkdirSync(dirname(full), { recursive: true });
      const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
      writeFileSync(full, opts.gzip ? gzipSync(bytes) : bytes);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Copies the original exporter's output for one sample into `site` (under `sub`, '' or 'data/'). */
export function copyExpected(site: Site, sample: string, sub = ''): void {
  for (const f of readdirSync(join(EXPECTED_DIR, sample))) {
    site.write(sub + f, readFileSync(join(EXPECTED_DIR, sample, f), 'utf8'));
  }
}

export function readExpectedJson<T>(sample: string, suffix: string): T {
  const f = readdirSync(join(EXPECTED_DIR, sample)).find((n) => n.endsWith(suffix));
  if (!f) throw new Error(`no ${suffix} in ${sample}`);
  return JSON.parse(readFileSync(join(EXPECTED_DIR, sample, f), 'utf8')) as T;
}
