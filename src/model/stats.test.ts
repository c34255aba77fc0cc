// Unit tests for the stats accumulator and the traceback summary.
import { describe, expect, it } from 'vitest';
import { StatsAccumulator, tracebackSummary, type StatsInput } from './stats.js';

const base: StatsInput = {
  name: 't',
  status: 'success',
  startUs: null,
  endUs: null,
  duration: null,
  traceback: null,
  reason: null,
  detailsKey: null,
  parserError: false,
};

describe('tracebackSummary', () => {
  it('takes the last line', () => {
    expect(tracebackSummary('Traceback:\n  File "x"\nValueError: boom\n\n')).toEqual(['ValueError: boom']);
  });
  it('takes two lines when the last mentions Details', () => {
    expect(tracebackSummary('a\nMismatchError: x != y\nDetails: {...}')).toEqual([
      'MismatchError: x != y',
      'Details: {...}',
    ]);
  });
  it('uses Python line breaks and whitespace', () => {
    expect(tracebackSummary('a\r\nb\x85c\u2028last one\x1f ')).toEqual(['last one']);
  });
  it('gives the one line of a one-line traceback, and null for none or blank', () => {
    expect(tracebackSummary('Details only')).toEqual(['Details only']);
    expect(tracebackSummary(null)).toBeNull();
    expect(tracebackSummary(' \n\t')).toBeNull();
  });
});

describe('StatsAccumulator', () => {
  it('counts, spans, sums and lists failures and skips', () => {
    const s = new StatsAccumulator();
    s.add({ ...base, name: 'a', startUs: 2_000_000, endUs: 3_500_000, duration: 1.5 });
    s.add({
      ...base,
      name: 'b',
      status: 'fail',
      startUs: 1_000_000,
      endUs: 2_000_000,
      duration: 1,
      traceback: 'x\nE: bad',
      detailsKey: 'b',
    });
    s.add({
      ...base,
      name: 'c',
      status: 'skip',
      startUs: 4_000_000,
      endUs: 3_000_000,
      duration: -1,
      reason: 'why',
    });
    s.add({ ...base, name: 'subunit.parser', status: 'fail', parserError: true });
    s.add({ ...base, name: 'd', status: 'inprogress', startUs: 2_000_000, detailsKey: 'd' });
    const r = s.result('<stream output>');
    expect(r.count).toBe(5);
    expect(r.start).toBe('1970-01-01T00:00:01+00:00');
    expect(r.end).toBe('1970-01-01T00:00:03.500000+00:00');
    expect(r.total_duration).toBe(2.5);
    expect(r.failures).toEqual([
      { name: 'b', duration: 1, details: ['E: bad'], details_key: 'b', exception: 'E: bad' },
      { name: 'subunit.parser', duration: null, details: null, details_key: null, exception: null },
    ]);
    expect(r.inprogress).toEqual([{ name: 'd', details_key: 'd' }]);
    expect(r.skips).toEqual([{ name: 'c', duration: -1, details: 'why', details_key: null }]);
    expect(r.status_counts).toEqual({ success: 1, fail: 2, skip: 1, inprogress: 1 });
    expect(r.parser_errors).toBe(1);
    expect(r.stream_output_key).toBe('<stream output>');
  });
  it('has null start and end with no timestamps', () => {
    const s = new StatsAccumulator();
    s.add(base);
    expect(s.result(null)).toMatchObject({ count: 1, start: null, end: null, total_duration: 0 });
  });
});
