// Differential test of --junit against python-subunit's subunit2junitxml: the same numbers of testcase,
// failure + error and skipped elements on every fixture stream, a damaged one and a hostile one; ours parses
// with a strict XML parser (Python's expat) and its suite counts agree with its elements.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePacket, type PacketFields } from '../../src/formats/subunit/v2-encode.js';

const BIN = join(process.cwd(), 'bin', 'stackviz-export.js');
const PYTHON = '/usr/bin/python3';
const SUBUNIT2JUNITXML = '/usr/bin/subunit2junitxml';
const DIRS = [
  join(process.cwd(), 'test', 'fixtures', 'streams'),
  join(process.cwd(), '..', 'shared', 'samples', 'streams'),
];

interface Counts {
  testcase: number;
  failures: number;
  skipped: number;
}

/** Counts in subunit2junitxml's output (regular expressions: its text is not always well-formed XML). */
function referenceCounts(stream: Buffer): Counts {
  const r = spawnSync(PYTHON, [SUBUNIT2JUNITXML], { input: stream, maxBuffer: 1 << 28 });
  // It exits 1 when a test failed; a crash shows as a traceback and no closing tag.
  const xml = r.stdout.toString('utf8');
  expect(xml, r.stderr.toString()).toContain('</testsuite>');
  const n = (re: RegExp): number => xml.match(re)?.length ?? 0;
  return {
    testcase: n(/<testcase /g),
    failures: n(/<failure[ >/]/g) + n(/<error[ >/]/g),
    skipped: n(/<skipped[ >/]/g),
  };
}

/** Parse ours with expat (strict: fails on any XML error) and count, checking the suites' attributes. */
const COUNT = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == 'testsuites', root.tag
cases = root.findall('./testsuite/testcase')
fails = sum(len(c.findall('failure')) + len(c.findall('error')) for c in cases)
skips = sum(len(c.findall('skipped')) for c in cases)
for s in root.findall('testsuite'):
    sc = s.findall('testcase')
    assert int(s.get('tests')) == len(sc), 'tests'
    assert int(s.get('failures')) + int(s.get('errors')) == sum(len(c.findall('failure')) + len(c.findall('error')) for c in sc), 'failures'
    assert int(s.get('skipped')) == sum(len(c.findall('skipped')) for c in sc), 'skipped'
    float(s.get('time'))
assert int(root.get('tests')) == len(cases)
texts = [f.text or '' for c in cases for f in c.findall('failure')]
print(json.dumps({'testcase': len(cases), 'failures': fails, 'skipped': skips, 'texts': texts,
  'messages': [f.get('message') for c in cases for f in c.findall('failure')],
  'names': [[c.get('classname'), c.get('name')] for c in cases]}))
`;

interface Ours extends Counts {
  texts: string[];
  messages: string[];
  names: [string, string][];
}

function ourCounts(stream: Buffer): Ours {
  const dir = mkdtempSync(join(tmpdir(), 'stackviz-junit-'));
  const input = join(dir, 'in.subunit');
  writeFileSync(input, stream);
  const out = join(dir, 'junit.xml');
  const r = spawnSync(process.execPath, [BIN, '-q', '-f', input, '--junit', out, join(dir, 'dest')], {
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  const py = spawnSync(PYTHON, ['-c', COUNT, out], { encoding: 'utf8' });
  expect(py.status, py.stderr).toBe(0);
  return JSON.parse(py.stdout) as Ours;
}

const ts = (s: number): PacketFields['timestamp'] => ({ seconds: 1_700_000_000 + s, nanos: 0 });
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/**
 * Every status, hostile names and tracebacks (markup, C0 controls), an id with no dot; `badBytes` adds a
 * traceback that is not UTF-8, on which subunit2junitxml crashes (UnicodeDecodeError), so only ours reads it.
 */
function hostileStream(badBytes = false): Buffer {
  const p: PacketFields[] = [];
  const test = (
    id: string,
    status: PacketFields['status'],
    at: number,
    files: [string, Uint8Array][] = [],
  ): void => {
    p.push({ testId: id, status: 'inprogress', timestamp: ts(at), tags: ['worker-0'] });
    for (const [name, bytes] of files)
      p.push({
        testId: id,
        fileName: name,
        fileBytes: bytes,
        mimeType: 'text/plain;charset=utf8',
        eof: true,
      });
    if (status !== 'inprogress') p.push({ testId: id, status, timestamp: ts(at + 1), tags: ['worker-0'] });
  };
  test('a.B.test_ok', 'success', 0);
  test('a.B.test_<&"\'>]]>', 'fail', 1, [
    [
      'traceback',
      text(
        'Traceback (most recent call last):\n  File "x.py", line 1, in f\nValueError: <bad> & "worse" \x1b[31mred\x1b[0m \x00\x01\x0b\x0c\r\nend',
      ),
    ],
  ]);
  if (badBytes)
    test('a.B.test_bytes', 'fail', 2, [['traceback', Uint8Array.from([0x41, 0xff, 0xfe, 0x0a, 0x42])]]);
  test('a.B.test_ux', 'uxsuccess', 3);
  test('a.B.test_xfail', 'xfail', 4);
  test('a.B.test_skip', 'skip', 5, [['reason', text('needs <feature> & "more"\x07')]]);
  test('nodots', 'success', 6);
  test('a.B.test_ctrl\x01\x1f', 'success', 7);
  p.push({ testId: 'a.B.test_exists', status: 'exists' });
  test('a.B.test_hangs', 'inprogress', 8);
  return Buffer.concat(p.map((f) => encodePacket(f)));
}

/** A real stream with packets broken: a flipped byte in the middle (a bad CRC) and its last 30% cut off. */
function damagedStream(): Buffer {
  const b = Buffer.from(readFileSync(join(DIRS[0] as string, 'stestr-failure.subunit')));
  const at = Math.floor(b.length / 3);
  b[at] = (b[at] as number) ^ 0xff;
  return b.subarray(0, Math.floor(b.length * 0.7));
}

function fixtureStreams(): [string, Buffer][] {
  const seen = new Set<string>();
  const out: [string, Buffer][] = [];
  for (const dir of DIRS) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) {
      const bytes = readFileSync(join(dir, f));
      const digest = createHash('sha256').update(bytes).digest('hex');
      if (seen.has(digest)) continue;
      seen.add(digest);
      out.push([f, bytes]);
    }
  }
  return out;
}

describe('--junit agrees with subunit2junitxml', () => {
  it('has the reference tools', () => {
    expect(existsSync(SUBUNIT2JUNITXML)).toBe(true);
    expect(existsSync(BIN)).toBe(true);
  });

  const streams: [string, Buffer][] = [
    ...fixtureStreams(),
    ['damaged (bad CRC, cut short)', damagedStream()],
    [
      'non-subunit output before the packets',
      Buffer.concat([
        Buffer.from('plain text output\n'),
        readFileSync(join(DIRS[0] as string, 'stestr-successful.subunit')),
      ]),
    ],
    ['hostile (every status, markup, controls)', hostileStream()],
  ];
  it.each(streams)(
    '%s',
    (name, bytes) => {
      const ours = ourCounts(bytes);
      // The damage is data: python-subunit and we both report it as a failing subunit.parser test.
      if (name.startsWith('damaged')) expect(ours.names).toContainEqual(['subunit', 'parser']);
      const ref = referenceCounts(bytes);
      expect({ testcase: ours.testcase, failures: ours.failures, skipped: ours.skipped }).toEqual(ref);
      expect(ours.testcase).toBeGreaterThan(0);
    },
    60_000,
  );

  it('keeps what the hostile stream says, escaped', () => {
    const ours = ourCounts(hostileStream(true));
    expect(ours.testcase).toBe(9); // `exists` is left out, as subunit2junitxml leaves it
    expect(ours.names).toContainEqual(['a.B', 'test_<&"\'>]]>']);
    expect(ours.names).toContainEqual(['', 'nodots']);
    // C0 controls become Control Pictures; CR survives as a character reference.
    expect(ours.names).toContainEqual(['a.B', 'test_ctrl\u2401\u241f']);
    const tb = ours.texts.find((t) => t.includes('ValueError')) as string;
    expect(tb).toContain(
      'ValueError: <bad> & "worse" \u241b[31mred\u241b[0m \u2400\u2401\u240b\u240c\r\nend',
    );
    // The message is the exception line, trimmed (\v and \f are white space) before the controls are replaced.
    expect(ours.messages).toContain('ValueError: <bad> & "worse" \u241b[31mred\u241b[0m \u2400\u2401');
    expect(ours.messages).toContain('unexpected success');
  }, 60_000);
});
