// Unit tests of the single-file packer and the static-site copy, against a fake viewer build in a temp folder.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash, randomBytes } from 'node:crypto';
import { isPackedDstat, parseDstat, unpackDstatLog } from '../formats/dstat/index.js';
import { ViewerNotBuiltError, writeHtmlSite } from './site.js';
import {
  EMBEDDED_FILE_TYPE,
  escapeInlineScript,
  PIECE_BYTES,
  SingleFileTooLargeError,
  selectDataFiles,
  singleFileCsp,
  writeSingleFile,
} from './single-file.js';

// A bundle holding what would break a naive inliner: a closing tag, an HTML comment opener and `$&` / `$'`
// (replacement patterns of String.replace).
const FAKE_JS = 'globalThis.__probe = "</script><!-- $& $\' </SCRIPT >"; /* </script> */\n';
const FAKE_CSS = 'body { color: red; } .x::after { content: "</style>"; }\n';
const FAKE_INDEX = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <!-- the viewer's own comment -->
    <meta
      http-equiv="Content-Security-Policy"
      content="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'"
    />
    <title>stackviz</title>
    <script type="module" crossorigin src="./assets/index-abc.js"></script>
    <link rel="stylesheet" crossorigin href="./assets/index-def.css">
  </head>
  <body>
    <div id="app"></div>
  </body>
</html>
`;

let root: string;
let viewer: string;
let dest: string;

function put(dir: string, rel: string, data: string | Buffer): void {
  const full = join(dir, rel);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, data);
}

interface Embedded {
  path: string;
  /** Where a piece starts in its file's text; null for a whole file. */
  offset: number | null;
  encoding: string;
  bytes: Buffer;
}

/** The embedded files (and pieces) of a single-file report, decoded the way the viewer's loader does. */
function embeddedPieces(html: string): Embedded[] {
  const re = new RegExp(
    `<script type="${EMBEDDED_FILE_TYPE}" data-path="([^"]*)"(?: data-offset="(\\d+)")? data-encoding="([^"]*)">([^<]*)</script>`,
    'g',
  );
  return [...html.matchAll(re)].map((m) => ({
    path: (m[1] ?? '').replace(/&amp;/g, '&').replace(/&quot;/g, '"'),
    offset: m[2] === undefined ? null : Number(m[2]),
    encoding: m[3] ?? '',
    bytes: gunzipSync(Buffer.from(m[4] ?? '', 'base64')),
  }));
}

/** The embedded files, each piece joined to the one before of its file. */
function embedded(html: string): Embedded[] {
  const out: Embedded[] = [];
  for (const e of embeddedPieces(html)) {
    const last = out.at(-1);
    if (last?.path === e.path && e.offset === last.bytes.length)
      last.bytes = Buffer.concat([last.bytes, e.bytes]);
    else out.push({ ...e });
  }
  return out;
}

const CONFIG = {
  tempest: [
    {
      id: 0,
      name: 'run',
      source: 'repo',
      raw: 'tempest_repo_0_raw.json',
      details: 'tempest_repo_0_details.json',
      tree: 'tempest_repo_0_tree.json',
      stats: { count: 2 },
      dstat: 'dstat_log.csv',
    },
  ],
};

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'stackviz-single-'));
  viewer = join(root, 'web');
  dest = join(root, 'dest');
  put(viewer, 'index.html', FAKE_INDEX);
  put(viewer, 'assets/index-abc.js', FAKE_JS);
  put(viewer, 'assets/index-def.css', FAKE_CSS);
  put(dest, 'config.json', JSON.stringify(CONFIG));
  put(dest, 'tempest_repo_0_raw.json', JSON.stringify([{ name: 'a</script><script>alert(1)</script>' }]));
  put(
    dest,
    'tempest_repo_0_details.json',
    JSON.stringify({ a: { traceback: '</script>' }, b: { log: 'é ✓ \u0000' }, big: 'x'.repeat(1000) }),
  );
  put(dest, 'tempest_repo_0_tree.json', '{"name":"t"}');
  put(dest, 'tempest_repo_0_stats.json', '{"count":2}');
  put(dest, 'dstat_log.csv', '"Dstat 0.7.2 CSV output"\n1,2,3\n');
  put(dest, '.abc.stackviz-tmp', 'half a file');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('writeSingleFile', () => {
  it('embeds every data file the viewer reads, and each decodes back to the original bytes', async () => {
    const out = join(root, 'report.html');
    await writeSingleFile(out, dest, { viewerDir: viewer });
    const files = embedded(readFileSync(out, 'utf8'));
    expect(files.map((f) => f.path).sort()).toEqual(
      [
        'config.json',
        'tempest_repo_0_details.json',
        'dstat_log.csv',
        'tempest_repo_0_raw.json',
        'tempest_repo_0_stats.json',
      ].sort(),
    );
    for (const f of files) {
      expect(f.encoding).toBe('base64-gzip');
      expect(f.bytes.equals(readFileSync(join(dest, f.path)))).toBe(true);
    }
  });

  it('puts config.json first and the stats before the tests and details', async () => {
    const out = join(root, 'report.html');
    await writeSingleFile(out, dest, { viewerDir: viewer });
    const paths = embedded(readFileSync(out, 'utf8')).map((f) => f.path);
    expect(paths[0]).toBe('config.json');
    expect(paths[1]).toBe('tempest_repo_0_stats.json');
    expect(paths.indexOf('tempest_repo_0_raw.json')).toBeLessThan(
      paths.indexOf('tempest_repo_0_details.json'),
    );
  });

  it('embeds a details file in pieces of 1 MiB of its text (of a .gz: inflated), and other .gz files gzipped once', async () => {
    const config = structuredClone(CONFIG);
    const run = config.tempest[0];
    if (!run) throw new Error('fixture');
    run.raw = 'tempest_repo_0_raw.json.gz';
    run.details = 'tempest_repo_0_details.json.gz';
    put(dest, 'config.json', JSON.stringify(config));
    const rawGz = gzipSync(Buffer.from('[{"name":"zipped"}]'), { level: 1 });
    put(dest, 'tempest_repo_0_raw.json.gz', rawGz);
    const text = Buffer.from(JSON.stringify({ big: randomBytes(1300 * 1024).toString('hex') }));
    put(dest, 'tempest_repo_0_details.json.gz', gzipSync(text, { level: 1 }));
    const out = join(root, 'report.html');
    await writeSingleFile(out, dest, { viewerDir: viewer });
    const html = readFileSync(out, 'utf8');
    const pieces = embeddedPieces(html).filter((f) => f.path === 'tempest_repo_0_details.json.gz');
    expect(pieces.map((p) => p.offset)).toEqual([0, 1, 2].map((k) => k * PIECE_BYTES));
    expect(Buffer.concat(pieces.map((p) => p.bytes)).equals(text)).toBe(true);
    const raw = embedded(html).find((f) => f.path === 'tempest_repo_0_raw.json.gz');
    expect(raw?.bytes.toString()).toBe('[{"name":"zipped"}]');
    // Recompressed (at level 9), not wrapped twice: one gunzip gives the JSON back.
    expect(raw?.encoding).toBe('base64-gzip');
    expect(html).not.toContain(`>${rawGz.toString('base64')}</script>`);
  });

  it('leaves out the viewer, hidden temp files and the output itself when written inside the folder', async () => {
    await writeHtmlSite(dest, { viewerDir: viewer });
    const out = join(dest, 'report.html');
    await writeSingleFile(out, dest, { viewerDir: viewer });
    await writeSingleFile(out, dest, { viewerDir: viewer }); // again, with the first report present
    const paths = embedded(readFileSync(out, 'utf8')).map((f) => f.path);
    expect(paths.some((p) => p.endsWith('.html') || p.startsWith('assets/') || p.startsWith('.'))).toBe(
      false,
    );
    expect(readdirSync(dest).filter((n) => n.endsWith('.stackviz-tmp'))).toEqual(['.abc.stackviz-tmp']);
  });

  it('data can never close its element: the only </script> tags are the elements’ own', async () => {
    // Random bytes and names full of markup: base64 has no `<`, so the count of closing tags is fixed.
    put(dest, 'noise.json', randomBytes(50_000));
    const out = join(root, 'report.html');
    await writeSingleFile(out, dest, { viewerDir: viewer });
    const html = readFileSync(out, 'utf8');
    const dataElements = (html.match(new RegExp(`<script type="${EMBEDDED_FILE_TYPE}"`, 'g')) ?? []).length;
    // config, raw, details (one piece), stats, dstat and the noise.
    expect(dataElements).toBe(6);
    // The data elements plus the one inlined module script.
    expect((html.match(/<\/script/gi) ?? []).length).toBe(dataElements + 1);
    expect(html.replace("<!-- the viewer's own comment -->", '')).not.toContain('<!--');
    for (const m of html.matchAll(/data-encoding="base64-gzip">([^<]*)<\/script>/g)) {
      expect(m[1]).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    }
  });

  it('inlines the bundle and the CSS, with a CSP that allows exactly that script by hash', async () => {
    const out = join(root, 'report.html');
    await writeSingleFile(out, dest, { viewerDir: viewer });
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/\bsrc=|<link\b/);
    const script = /<script type="module">([\s\S]*?)<\/script>/.exec(html)?.[1];
    expect(script).toBeDefined();
    // The escaped bundle still means the same thing.
    const probe: { __probe?: string } = {};
    new Function('globalThis', script ?? '')(probe);
    expect(probe.__probe).toBe("</script><!-- $& $' </SCRIPT >");
    const hash = createHash('sha256')
      .update(script ?? '')
      .digest('base64');
    // Exactly one policy (a second, stricter one would still apply and block the inlined script).
    const metas = [...html.matchAll(/http-equiv="Content-Security-Policy"\s+content="([^"]*)"/g)];
    expect(metas).toHaveLength(1);
    const csp = metas[0]?.[1] ?? '';
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    expect(csp).not.toMatch(/script-src[^;]*'self'/);
    expect(csp).toContain("object-src 'none'");
    expect(html).toContain('<style>body { color: red; }');
    expect(html).not.toMatch(/<\/style>"/);
  });

  it('fails with one clear line when the report would be too large, leaving no file behind', async () => {
    put(dest, 'big.json', randomBytes(200_000));
    const out = join(root, 'report.html');
    const err = await writeSingleFile(out, dest, { viewerDir: viewer, maxBytes: 100_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SingleFileTooLargeError);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toContain('--html');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).filter((n) => n.includes('stackviz-tmp'))).toEqual([]);
    // Folders made for the page go with it; one that was there stays.
    const deeper = join(root, 'new', 'deeper', 'report.html');
    await expect(writeSingleFile(deeper, dest, { viewerDir: viewer, maxBytes: 100_000 })).rejects.toThrow(
      SingleFileTooLargeError,
    );
    expect(existsSync(join(root, 'new'))).toBe(false);
    expect(existsSync(root)).toBe(true);
  });

  describe('dstat logs', () => {
    const LOG = readFileSync('test/fixtures/dstat/dstat-0.8.0.csv', 'utf8');
    // No Date: line: the year comes from the run's start, so two runs in different years read it differently.
    const YEARLESS = LOG.replace(/,,,,"Date:","[^"]*"/, '');
    const START = '2026-11-28T14:36:21.745867+00:00';
    const withRuns = (log: string, starts: (string | null)[]): void => {
      put(dest, 'dstat_log.csv', log);
      const runs = starts.map((start, i) => ({
        ...CONFIG.tempest[0],
        id: i,
        stats: start === null ? { count: 2 } : { count: 2, start },
      }));
      put(dest, 'config.json', JSON.stringify({ tempest: runs }));
    };
    const dstatBytes = async (): Promise<Buffer> => {
      const out = join(root, 'report.html');
      await writeSingleFile(out, dest, { viewerDir: viewer });
      const f = embedded(readFileSync(out, 'utf8')).find((e) => e.path === 'dstat_log.csv');
      if (!f) throw new Error('no dstat_log.csv embedded');
      return f.bytes;
    };

    it('embeds the log packed: what the viewer reads from the CSV with the run’s start', async () => {
      withRuns(YEARLESS, [START, '2026-11-28T14:40:00+00:00']);
      const bytes = await dstatBytes();
      expect(isPackedDstat(bytes)).toBe(true);
      const want = parseDstat(YEARLESS, { referenceUtcMs: Date.parse(START) });
      expect(want.timeBasis.source).toBe('reference');
      expect(unpackDstatLog(bytes)).toEqual(want);
    });

    it('embeds the CSV when runs read it differently, a run has no start, or it does not parse', async () => {
      for (const [log, starts] of [
        [YEARLESS, [START, '2025-11-28T14:36:21+00:00']],
        [LOG, [START, null]],
        ['"Dstat 0.8.0 CSV output"\n1,2,3\n', [START]],
      ] as const) {
        withRuns(log, [...starts]);
        expect((await dstatBytes()).toString('utf8')).toBe(log);
      }
    });
  });

  it('refuses a folder that is not an export', async () => {
    rmSync(join(dest, 'config.json'));
    await expect(selectDataFiles(dest)).rejects.toThrow(/no config\.json/);
  });
});

describe('escapeInlineScript and singleFileCsp', () => {
  it('escapes closing tags in any case and HTML comment openers', () => {
    expect(escapeInlineScript('a="</ScRiPt>";b="<!--"')).toBe('a="\\x3C/ScRiPt>";b="\\x3C!--"');
  });
  it('adds a policy when the page has none', () => {
    const html = singleFileCsp('<head><meta charset="utf-8" /></head>', 'AAA=');
    expect(html).toContain(`script-src 'sha256-AAA='`);
  });
});

describe('writeHtmlSite', () => {
  it('copies the built viewer beside the data, index.html at the root, no temp files left', async () => {
    await writeHtmlSite(dest, { viewerDir: viewer });
    expect(readFileSync(join(dest, 'index.html'), 'utf8')).toBe(FAKE_INDEX);
    expect(readFileSync(join(dest, 'assets/index-abc.js'), 'utf8')).toBe(FAKE_JS);
    expect(readFileSync(join(dest, 'config.json'), 'utf8')).toBe(JSON.stringify(CONFIG));
    expect(readdirSync(dest).filter((n) => n.endsWith('.stackviz-tmp'))).toEqual(['.abc.stackviz-tmp']);
    expect(readdirSync(join(dest, 'assets')).sort()).toEqual(['index-abc.js', 'index-def.css']);
  });

  it('a second export into the same DEST replaces the old bundle and keeps other files in assets/', async () => {
    put(dest, 'assets/index-OLDHASH1.js', 'old');
    put(dest, 'assets/index-OLDHASH2.css', 'old');
    put(dest, 'assets/logo.svg', '<svg/>');
    await writeHtmlSite(dest, { viewerDir: viewer });
    expect(readdirSync(join(dest, 'assets')).sort()).toEqual(['index-abc.js', 'index-def.css', 'logo.svg']);
  });

  it('says the viewer is not built when dist/web is missing or is the source page', async () => {
    await expect(writeHtmlSite(dest, { viewerDir: join(root, 'nowhere') })).rejects.toBeInstanceOf(
      ViewerNotBuiltError,
    );
    put(viewer, 'index.html', '<script type="module" src="./src/main.ts"></script>');
    await expect(writeHtmlSite(dest, { viewerDir: viewer })).rejects.toThrow(/npm run build/);
    await expect(writeSingleFile(join(root, 'r.html'), dest, { viewerDir: viewer })).rejects.toThrow(
      /npm run build/,
    );
  });
});
