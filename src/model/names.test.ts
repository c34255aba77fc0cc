// Unit tests for test-id cleaning, checked against the original's regexes' behaviour on odd ids.
import { describe, expect, it } from 'vitest';
import { cleanTestId, stripNonWord } from './names.js';

describe('cleanTestId', () => {
  it('strips the trailing attributes and keeps them', () => {
    expect(cleanTestId('tempest.api.a.T.test_x[id-5de4,smoke]')).toEqual({
      name: 'tempest.api.a.T.test_x',
      attributes: ['id-5de4', 'smoke'],
    });
  });
  it('turns a fixture failure into Class.method', () => {
    expect(cleanTestId('setUpClass (tempest.api.a.T)')).toEqual({
      name: 'tempest.api.a.T.setUpClass',
      attributes: [],
    });
  });
  it('applies only the tags rule when both could', () => {
    expect(cleanTestId('m (a.C)[x]').name).toBe('m (a.C)');
  });
  it('takes the last [ for the attributes (greedy name)', () => {
    expect(cleanTestId('a[b][c]')).toEqual({ name: 'a[b]', attributes: ['c'] });
    expect(cleanTestId('a[]]')).toEqual({ name: 'a', attributes: [']'] });
  });
  it('leaves ids alone when a part would be empty', () => {
    expect(cleanTestId('a[]').name).toBe('a[]');
    expect(cleanTestId('[x]').name).toBe('[x]');
    expect(cleanTestId(' (x)').name).toBe(' (x)');
    expect(cleanTestId('plain.id').name).toBe('plain.id');
  });
  it('follows Python on newlines: $ matches before a final \\n, . never matches \\n', () => {
    expect(cleanTestId('a[b]\n').name).toBe('a');
    expect(cleanTestId('a\n[b]').name).toBe('a\n[b]');
    expect(cleanTestId('m (C)\n\n').name).toBe('m (C)\n\n');
    // Python's `.` matches \r and U+2028, unlike a bare JS `.`.
    expect(cleanTestId('a\rb[c\u2028d]')).toEqual({ name: 'a\rb', attributes: ['c\u2028d'] });
  });
  it('treats prototype names as data', () => {
    expect(cleanTestId('__proto__').name).toBe('__proto__');
  });
});

describe('stripNonWord', () => {
  it("removes non-word characters like Python's \\W", () => {
    expect(stripNonWord("pythonlogging:''")).toBe('pythonlogging');
    expect(stripNonWord('trace-back.txt')).toBe('tracebacktxt');
    expect(stripNonWord('détails_1²')).toBe('détails_1²');
    expect(stripNonWord('<script>')).toBe('script');
  });
});
