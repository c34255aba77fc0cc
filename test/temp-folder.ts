// Every test run writes its temporary files under one folder of its own, removed when the run ends: the
// tests make thousands of exports (tens of GB over many runs), and each test removing its own would be easy
// to forget. TMPDIR is set before the test processes start, so os.tmpdir() in them (and in the CLIs they
// spawn) points there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'stackviz-tests-'));
  const previous = process.env['TMPDIR'];
  process.env['TMPDIR'] = dir;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
