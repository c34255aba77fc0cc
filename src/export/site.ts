// Turns an export folder into a static site: copies the built viewer (dist/web) beside the data files.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removedOnSignal } from './output.js';

/** The built viewer is missing or is the unbuilt source page. */
export class ViewerNotBuiltError extends Error {
  override name = 'ViewerNotBuiltError';
}

export interface ViewerLocation {
  /** Overrides where the built viewer is looked for (tests use a fake build). */
  viewerDir?: string;
}

/**
 * The package root: the nearest folder above this module that holds a package.json. From the build
 * (dist/src/export/site.js), from the sources under Vitest (src/export/site.ts) and from an installed
 * package (node_modules/stackviz/dist/...) alike, the viewer is then `<root>/dist/web`.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new ViewerNotBuiltError('cannot find the stackviz package folder (no package.json)');
    dir = up;
  }
}

/** The package's version (package.json), for `--version` and config.json's `generator`; 0.0.0 when unknown. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Where the built viewer is; checked: index.html exists and loads a built bundle, not the Vite source entry. */
export function viewerDir(opts: ViewerLocation = {}): string {
  const dir = opts.viewerDir ?? process.env['STACKVIZ_VIEWER_DIR'] ?? join(packageRoot(), 'dist', 'web');
  const index = join(dir, 'index.html');
  if (!existsSync(index) || !statSync(index).isFile()) {
    throw new ViewerNotBuiltError(
      `the viewer is not built (${index} is missing): run \`npm run build\` in the stackviz folder first`,
    );
  }
  // The unbuilt page points at ./src/main.ts, which no browser can run.
  if (/<script[^>]*\ssrc=["'][^"']*\.ts["']/i.test(readFileSync(index, 'utf8'))) {
    throw new ViewerNotBuiltError(`${index} is the viewer's source page, not a build: run \`npm run build\``);
  }
  return dir;
}

/** Every file below `dir`, as paths relative to it (with `/`), sorted so the copy is deterministic. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(sub: string): Promise<void> {
    const entries = await readdir(join(dir, sub), { withFileTypes: true });
    for (const e of entries) {
      const rel = sub === '' ? e.name : `${sub}/${e.name}`;
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile()) out.push(rel);
    }
  }
  await walk('');
  return out.sort();
}

/** A temp name beside `file` (same folder, so rename is atomic); dot-prefixed so nobody serves it. */
export function tempNameFor(file: string): string {
  return join(dirname(file), `.${randomBytes(6).toString('hex')}.stackviz-tmp`);
}

/**
 * Copies the built viewer into `dest` (index.html at its root, assets/ beside it), next to the data files.
 * Each file is written under a temp name and renamed, like the data files, so a reader never sees half a file.
 * Assets first, index.html last: a page that exists always finds its bundle.
 */
export async function writeHtmlSite(dest: string, opts: ViewerLocation = {}): Promise<void> {
  const src = viewerDir(opts);
  const files = (await listFiles(src)).sort(
    (a, b) => Number(a === 'index.html') - Number(b === 'index.html'),
  );
  for (const rel of files) {
    const target = join(dest, ...rel.split('/'));
    // Never let a file name in the viewer folder escape DEST (it is ours, but a copy must not trust paths).
    if (relative(dest, target).split(sep).includes('..')) continue;
    await mkdir(dirname(target), { recursive: true });
    const tmp = tempNameFor(target);
    const untrack = removedOnSignal(tmp);
    try {
      await copyFile(join(src, ...rel.split('/')), tmp);
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    } finally {
      untrack();
    }
  }
  await removeStaleBundles(join(dest, 'assets'), new Set(files));
}

/** Vite's hashed bundle names (index-<hash>.js/.css): a re-export into the same DEST leaves the old ones behind. */
const BUNDLE_NAME = /^index-[A-Za-z0-9_-]{6,}\.(js|css)$/;

/** Removes earlier builds' bundles from DEST/assets, after index.html points at the new ones. */
async function removeStaleBundles(assets: string, current: ReadonlySet<string>): Promise<void> {
  let names: string[];
  try {
    names = await readdir(assets);
  } catch {
    return;
  }
  for (const name of names) {
    if (BUNDLE_NAME.test(name) && !current.has(`assets/${name}`))
      await rm(join(assets, name), { force: true });
  }
}
