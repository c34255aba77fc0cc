// pythonlogging parser: real tempest lines, continuation lines, odd lines, other formats.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { countLevels, parsePythonLogging } from './pythonlogging';

describe('parsePythonLogging', () => {
  it('keeps continuation lines with their record', () => {
    const text = [
      '2018-09-28 02:46:35,903 26441 INFO     [tempest.lib.common.rest_client] Request: 200 POST https://x/os-agents 0.275s',
      "2018-09-28 02:46:35,903 26441 DEBUG    [tempest.lib.common.rest_client] Request - Headers: {'Accept': 'a'}",
      '        Body: {"agent": 1}',
      "    Response - Headers: {'status': '200'}",
      '2018-09-28 02:46:36,001 26441 WARNING  [tempest.x] careful',
      '',
    ].join('\n');
    const recs = parsePythonLogging(text);
    expect(recs.map((r) => r.level)).toEqual(['INFO', 'DEBUG', 'WARNING']);
    expect(recs[1]?.continuation).toEqual([
      '        Body: {"agent": 1}',
      "    Response - Headers: {'status': '200'}",
    ]);
    expect(recs[0]?.time).toBe('2018-09-28 02:46:35,903');
    expect(recs[0]?.pid).toBe('26441');
    expect(recs[0]?.logger).toBe('tempest.lib.common.rest_client');
    expect(recs[2]?.message).toBe('careful');
    expect(recs[2]?.line).toBe(5);
  });

  it('keeps odd lines before the first record, and other formats', () => {
    const recs = parsePythonLogging(
      'garbage first\nmore garbage\nWARN:root:basic format\n2020-01-01T00:00:00.5 ERROR no logger here\r\n  trace\nAUDIT:x.y:audit',
    );
    expect(recs.map((r) => [r.level, r.logger, r.message])).toEqual([
      ['OTHER', null, 'garbage first'],
      ['WARNING', 'root', 'basic format'],
      ['ERROR', null, 'no logger here'],
      ['INFO', 'x.y', 'audit'],
    ]);
    expect(recs[0]?.continuation).toEqual(['more garbage']);
    expect(recs[2]?.continuation).toEqual(['  trace']);
    expect(countLevels(recs).get('WARNING')).toBe(1);
  });

  it('parses every line of the sample tempest log into some record', () => {
    const details = JSON.parse(
      readFileSync('test/fixtures/expected/tempest/tempest.subunit-0-details.json', 'utf8'),
    ) as Record<string, Record<string, string>>;
    const text = Object.values(details)[0]?.['pythonlogging'] ?? '';
    const recs = parsePythonLogging(text);
    const lines = text.split('\n').filter((_, i, a) => i < a.length - 1 || a[i] !== '').length;
    expect(recs.reduce((n, r) => n + 1 + r.continuation.length, 0)).toBe(lines);
    expect(recs.every((r) => r.level !== 'OTHER')).toBe(true);
    expect(recs.length).toBeGreaterThan(2);
  });
});
