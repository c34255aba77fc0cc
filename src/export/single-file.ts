// Packs the built viewer and every data file of an export folder into one HTML file that opens from file://.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { open, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { constants as zlibConstants, createGunzip, createGzip, gzipSync, type ZlibOptions } from 'node:zlib';
import { listFiles, tempNameFor, viewerDir, type ViewerLocation } from './site.js';
import { makeDirs, removedOnSignal } from './output.js';
import { packedDstatLogs, type DstatConfig } from './single-file-dstat.js';

/**
 * Largest single-file report we write: 256 MiB. The browser holds the whole page text in memory and each
 * embedded file as one string (V8 caps a string near 512 M characters); pages of hundreds of MB take tens of
 * seconds to open or crash the tab. Above this a folder (`--html`) served over HTTP is the right tool.
 */
export const SINGLE_FILE_MAX_BYTES = 256 * 1024 * 1024;

/** The marker the viewer's loader looks for (web/src/data/loader.ts); the agreed interface. */
export const EMBEDDED_FILE_TYPE = 'application/x-stackviz-file';

export class SingleFileTooLargeError extends Error {
  override name = 'SingleFileTooLargeError';
}

export interface SingleFileOptions extends ViewerLocation {
  /** Size limit of the HTML file in bytes (default SINGLE_FILE_MAX_BYTES). */
  maxBytes?: number;
  /** gzip level for data files not already compressed (default 9: the data is written once, read many times). */
  gzipLevel?: number;
}

/**
 * Uncompressed bytes per embedded piece of a details file: opening a test decodes the one or two pieces that
 * hold its bytes (RawEntry.details_range), not the run's whole details.
 */
export const PIECE_BYTES = 1024 * 1024;

/** Data file names: JSON and CSV, plain or gzipped. Anything else in the folder (the viewer, reports) is not data. */
const DATA_FILE = /\.(json|csv)(\.gz)?$/;

interface ConfigLike extends DstatConfig {
  tempest?: {
    details?: unknown;
    tree?: unknown;
    timeline?: unknown;
    stats?: unknown;
    dstat?: unknown;
    dstat_recorded?: unknown;
  }[];
}

/** Lower sorts first: config.json and the stats, so the run summary is the first thing in the file. */
function rank(path: string): number {
  if (path === 'config.json') return 0;
  if (/_stats\.json(\.gz)?$/.test(path)) return 1;
  if (/_raw\.json(\.gz)?$/.test(path)) return 2;
  if (/\.csv(\.gz)?$/.test(path)) return 3;
  if (/_tree\.json(\.gz)?$/.test(path)) return 5;
  if (/details/.test(path)) return 6;
  return 4;
}

/**
 * The export folder's data files to embed, in file order. Left out: the viewer's own files, other HTML, hidden
 * and temp files, the output itself, and the trees.
 */
export async function selectDataFiles(exportDir: string, outFile?: string): Promise<string[]> {
  return (await selection(exportDir, outFile)).files;
}

/** The data files to embed, which of them are details files (embedded in pieces), and config.json. */
async function selection(
  exportDir: string,
  outFile?: string,
): Promise<{ files: string[]; details: Set<string>; config: ConfigLike }> {
  const configPath = join(exportDir, 'config.json');
  if (!existsSync(configPath)) {
    throw new Error(`${exportDir} has no config.json: it is not an export folder`);
  }
  let config: ConfigLike;
  try {
    config = JSON.parse(await readFile(configPath, 'utf8')) as ConfigLike;
  } catch (e) {
    throw new Error(`${configPath} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const skip = new Set<string>();
  const details = new Set<string>();
  const skipPath = (p: unknown): void => {
    if (typeof p === 'string') skip.add(p.replace(/^\.\//, ''));
  };
  for (const run of Array.isArray(config.tempest) ? config.tempest : []) {
    if (typeof run.details === 'string') details.add(run.details.replace(/^\.\//, ''));
    // The tree is for the original front-end (which cannot read a single file); our viewer builds its
    // hierarchy from the names. Leaving it out saves ~10% of the file.
    skipPath(run.tree);
    // The timeline index saves fetching the raw file; the single file has the raw file inside already.
    skipPath(run.timeline);
    // A pcp-dstat log's classic copy is for the original front-end too; ours reads the log as recorded.
    if (typeof run.dstat_recorded === 'string') skipPath(run.dstat);
  }
  for (const ds of Array.isArray(config.datasets) ? config.datasets : []) {
    for (const a of Array.isArray(ds.artifacts) ? ds.artifacts : []) {
      if (a.artifact_type === 'subunit-tree') skipPath(a.path);
      if (a.artifact_type === 'subunit-details' && typeof a.path === 'string')
        details.add(a.path.replace(/^\.\//, ''));
    }
  }
  const outRel =
    outFile === undefined ? null : relative(resolve(exportDir), resolve(outFile)).split(sep).join('/');
  const files = (await listFiles(exportDir)).filter(
    (p) =>
      DATA_FILE.test(p) &&
      !skip.has(p) &&
      p !== outRel &&
      !p.startsWith('assets/') &&
      !p.split('/').some((part) => part.startsWith('.')),
  );
  files.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return { files, details, config };
}

/** Text safe inside `<script>`: no `</script` and no `<!--` (which would change how the parser ends the element). */
export function escapeInlineScript(js: string): string {
  // \x3C is `<` in every JS context where these sequences can occur (strings, templates, regexes, comments);
  // module code cannot contain them outside those.
  return js.replace(/<\/(script)/gi, '\\x3C/$1').replace(/<!--/g, '\\x3C!--');
}

function escapeInlineStyle(css: string): string {
  // `\/` is `/` in CSS, inside strings and out.
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function sha256Base64(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64');
}

/** The CSP of the viewer's page with `script-src` allowing exactly the inlined bundle (by hash) and nothing else. */
export function singleFileCsp(html: string, scriptHash: string): string {
  const source = `'sha256-${scriptHash}'`;
  // The policy itself is full of single quotes: match the attribute by its own quote character.
  const meta = /<meta\s+http-equiv=["']Content-Security-Policy["']\s+content=(?:"([^"]*)"|'([^']*)')\s*\/?>/i;
  const m = meta.exec(html);
  if (!m) {
    const policy = `default-src 'none'; script-src ${source}; style-src 'unsafe-inline'; img-src data: blob:; connect-src data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'`;
    return html.replace(
      /<meta\s+charset=[^>]*>/i,
      (c) => `${c}\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`,
    );
  }
  let policy = (m[1] ?? m[2] ?? '')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  policy = /(^|;)\s*script-src\b/.test(policy)
    ? policy.replace(/((?:^|;)\s*script-src)\b[^;]*/, `$1 ${source}`)
    : `${policy}; script-src ${source}`;
  return html.replace(meta, `<meta http-equiv="Content-Security-Policy" content="${escapeAttr(policy)}" />`);
}

interface ViewerParts {
  /** Everything before the data elements (head with inlined CSS and JS, body's own markup). */
  head: string;
  /** `</body></html>` and whatever follows the data. */
  tail: string;
}

/** The built index.html with its bundle and stylesheet inlined, split where the data elements go. */
export async function inlineViewer(dir: string): Promise<ViewerParts> {
  let html = await readFile(join(dir, 'index.html'), 'utf8');
  const scriptTag = /<script\b[^>]*\btype=["']module["'][^>]*\bsrc=["']([^"']+)["'][^>]*>\s*<\/script>/i;
  const sm = scriptTag.exec(html);
  if (!sm?.[1]) throw new Error(`${join(dir, 'index.html')} loads no module bundle: is it a Vite build?`);
  const js = escapeInlineScript(await readAsset(dir, sm[1]));
  const hash = sha256Base64(js);
  // Functions as replacements: `$` in the bundle must not be read as a replacement pattern.
  html = html.replace(scriptTag, () => `<script type="module">${js}</script>`);
  const linkTag = /<link\b[^>]*\brel=["']stylesheet["'][^>]*>/gi;
  for (const lm of html.match(linkTag) ?? []) {
    const href = /\bhref=["']([^"']+)["']/i.exec(lm)?.[1];
    if (!href) continue;
    const css = escapeInlineStyle(await readAsset(dir, href));
    html = html.replace(lm, () => `<style>${css}</style>`);
  }
  html = singleFileCsp(html, hash);
  const at = html.search(/<\/body>/i);
  if (at < 0) throw new Error(`${join(dir, 'index.html')} has no </body>`);
  return { head: html.slice(0, at), tail: html.slice(at) };
}

async function readAsset(dir: string, href: string): Promise<string> {
  const rel = href.replace(/^\.?\//, '').split(/[?#]/)[0] ?? '';
  const full = resolve(dir, rel);
  if (!full.startsWith(resolve(dir) + sep)) throw new Error(`viewer asset ${href} is outside ${dir}`);
  return readFile(full, 'utf8');
}

/** Buffered sequential writes to a file handle, counting bytes and refusing to pass the size limit. */
class LimitedWriter {
  private chunks: Buffer[] = [];
  private pending = 0;
  written = 0;
  constructor(
    private readonly fh: FileHandle,
    private readonly maxBytes: number,
  ) {}

  async write(data: string | Buffer): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.written += buf.length;
    if (this.written > this.maxBytes) throw tooLarge(this.maxBytes);
    this.chunks.push(buf);
    this.pending += buf.length;
    if (this.pending >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const buf = Buffer.concat(this.chunks, this.pending);
    this.chunks = [];
    this.pending = 0;
    await this.fh.write(buf);
  }
}

function tooLarge(maxBytes: number): SingleFileTooLargeError {
  const mb = Math.round(maxBytes / (1024 * 1024));
  return new SingleFileTooLargeError(
    `the single-file report would be larger than ${mb} MB, too big for a browser to open; use --html DEST and open it with \`stackviz serve DEST\``,
  );
}

/** zlib options per file: Z_FILTERED suits CSV columns of numbers (~5% smaller dstat logs), the default JSON. */
function gzipOptions(file: string, level: number): ZlibOptions {
  const csv = /\.csv(\.gz)?$/.test(file);
  return { level, memLevel: 9, strategy: csv ? zlibConstants.Z_FILTERED : zlibConstants.Z_DEFAULT_STRATEGY };
}

/** Streams `file` gzipped (recompressed when it already is) and base64-encoded into `out`, 3-byte aligned across chunks. */
async function writeBase64Gzip(out: LimitedWriter, file: string, level: number): Promise<void> {
  let carry = Buffer.alloc(0);
  let sinkError: unknown = null;
  const take = async (chunk: Buffer): Promise<void> => {
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const whole = buf.length - (buf.length % 3);
    carry = Buffer.from(buf.subarray(whole));
    if (whole > 0) await out.write(buf.subarray(0, whole).toString('base64'));
  };
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      try {
        await take(chunk);
      } catch (e) {
        sinkError = e;
        throw e;
      }
    }
  };
  try {
    // A `.gz` file (from -z, written at level 1 for speed) is recompressed at our level: the file is written
    // once and downloaded many times.
    if (file.endsWith('.gz'))
      await pipeline(createReadStream(file), createGunzip(), createGzip(gzipOptions(file, level)), sink);
    else await pipeline(createReadStream(file), createGzip(gzipOptions(file, level)), sink);
  } catch (e) {
    // pipeline reports an error thrown by the sink as an AbortError; surface the sink's own (e.g. too large).
    throw sinkError ?? e;
  }
  if (carry.length > 0) await out.write(carry.toString('base64'));
}

/**
 * Streams a details file (inflated when it is a `.gz`) into `out` as elements of PIECE_BYTES of its text each,
 * gzipped and base64-encoded, with `data-offset`: where the piece starts in the text. The viewer decodes only
 * the pieces that hold an opened test's range.
 */
async function writePieces(out: LimitedWriter, file: string, rel: string, level: number): Promise<void> {
  const source: Readable = file.endsWith('.gz')
    ? createReadStream(file).pipe(createGunzip())
    : createReadStream(file);
  let offset = 0;
  let held: Buffer[] = [];
  let size = 0;
  const piece = async (bytes: Buffer): Promise<void> => {
    const data = gzipSync(bytes, gzipOptions(rel, level)).toString('base64');
    await out.write(
      `<script type="${EMBEDDED_FILE_TYPE}" data-path="${escapeAttr(rel)}" data-offset="${offset}" data-encoding="base64-gzip">${data}</script>\n`,
    );
    offset += bytes.length;
  };
  for await (const chunk of source as AsyncIterable<Buffer>) {
    held.push(chunk);
    size += chunk.length;
    while (size >= PIECE_BYTES) {
      const all = Buffer.concat(held, size);
      await piece(all.subarray(0, PIECE_BYTES));
      held = [all.subarray(PIECE_BYTES)];
      size -= PIECE_BYTES;
    }
  }
  if (size > 0 || offset === 0) await piece(Buffer.concat(held, size));
}

/**
 * Writes `outFile`: the viewer with its JS and CSS inlined, then every data file of `exportDir` as
 * `<script type="application/x-stackviz-file" data-path=… data-encoding="base64-gzip">` (a dstat log the
 * viewer shows as its packed numbers: packedDstatLogs). Streamed, written under a temp name and renamed. Base64
 * has no `<`, so data can never close its element.
 */
export async function writeSingleFile(
  outFile: string,
  exportDir: string,
  opts: SingleFileOptions = {},
): Promise<void> {
  const maxBytes = opts.maxBytes ?? SINGLE_FILE_MAX_BYTES;
  const level = opts.gzipLevel ?? 9;
  const viewer = await inlineViewer(viewerDir(opts));
  const { files, details, config } = await selection(exportDir, outFile);
  // Already-compressed inputs at level 1 give a rough estimate (level 9 saves ~10-20%, base64 adds a third):
  // fail before any work when even half of that is over the limit.
  let knownBytes = Buffer.byteLength(viewer.head) + Buffer.byteLength(viewer.tail);
  for (const f of files)
    if (f.endsWith('.gz')) knownBytes += Math.ceil(((await stat(join(exportDir, f))).size * 2) / 3);
  if (knownBytes > maxBytes) throw tooLarge(maxBytes);
  const packedDstat = await packedDstatLogs(exportDir, config, files);

  // The folders this makes for the page (the first of them) go again when it fails or a signal stops it.
  const created = makeDirs(dirname(resolve(outFile)));
  const untrackCreated = created === undefined ? (): void => undefined : removedOnSignal(created);
  const tmp = tempNameFor(resolve(outFile));
  const untrack = removedOnSignal(tmp);
  try {
    const fh = await open(tmp, 'w');
    try {
      const out = new LimitedWriter(fh, maxBytes);
      await out.write(viewer.head);
      for (const f of files) {
        if (details.has(f)) {
          await writePieces(out, join(exportDir, ...f.split('/')), f, level);
          continue;
        }
        await out.write(
          `<script type="${EMBEDDED_FILE_TYPE}" data-path="${escapeAttr(f)}" data-encoding="base64-gzip">`,
        );
        const packed = packedDstat.get(f);
        if (packed === undefined) await writeBase64Gzip(out, join(exportDir, ...f.split('/')), level);
        else await out.write(gzipSync(packed, gzipOptions('', level)).toString('base64'));
        await out.write('</script>\n');
      }
      await out.write(viewer.tail);
      await out.flush();
    } finally {
      await fh.close();
    }
    await rename(tmp, outFile);
  } catch (e) {
    // Any failure (writing, or the rename): no half page left under its temporary name, no folder made for it.
    await rm(created ?? tmp, { recursive: true, force: true });
    throw e;
  } finally {
    untrack();
    untrackCreated();
  }
}
