// Unit tests for the JUnit XML pieces: escaping (controls included), the name split, one testcase per status.
import { describe, expect, it } from 'vitest';
import { splitName, testcaseXml, xmlAttr, xmlText } from './junit.js';

const base = {
  name: 'a.b.C.test_x',
  status: 'success' as const,
  duration: 1.23456,
  traceback: null,
  reason: null,
};

describe('escaping', () => {
  it('escapes markup, keeps tab/LF/CR through attribute normalisation and CR in text', () => {
    expect(xmlAttr('<a & "b">\t\n\r')).toBe('&lt;a &amp; &quot;b&quot;&gt;&#9;&#10;&#13;');
    expect(xmlText('<a & "b">]]>\t\n\r')).toBe('&lt;a &amp; "b"&gt;]]&gt;\t\n&#13;');
  });
  it('replaces what XML 1.0 forbids: C0 controls by Control Pictures, lone surrogates and U+FFFE/F by U+FFFD', () => {
    expect(xmlText('\x00\x01\x08\x0b\x0c\x1b\x1f')).toBe('\u2400\u2401\u2408\u240b\u240c\u241b\u241f');
    expect(xmlText('a\ud800b\udc00c\ufffe\uffff')).toBe('a\ufffdb\ufffdc\ufffd\ufffd');
    expect(xmlText('\u{1f600} \x7f\x85')).toBe('\u{1f600} \x7f\x85'); // a pair, DEL and C1 are allowed
  });
});

describe('splitName', () => {
  it('splits at the last dot', () => {
    expect(splitName('tempest.api.Class.test_x')).toEqual({ classname: 'tempest.api.Class', name: 'test_x' });
    expect(splitName('nodots')).toEqual({ classname: '', name: 'nodots' });
  });
});

describe('testcaseXml', () => {
  it('writes a success as an empty testcase with its time', () => {
    expect(testcaseXml(base)).toBe('<testcase classname="a.b.C" name="test_x" time="1.235"/>\n');
    expect(testcaseXml({ ...base, duration: -2 })).toContain('time="0.000"');
    expect(testcaseXml({ ...base, status: 'xfail' })).toMatch(/\/>\n$/);
  });
  it('writes a failure with the exception line as message and the traceback as text', () => {
    const traceback =
      'Traceback (most recent call last):\n  File "x.py", line 1, in f\n    g()\nKeyError: \'k\'\n';
    const xml = testcaseXml({ ...base, status: 'fail', traceback });
    expect(xml).toContain(
      '<failure message="KeyError: \'k\'" type="KeyError">Traceback (most recent call last):',
    );
    expect(xml).toContain("KeyError: 'k'\n</failure>\n</testcase>\n");
  });
  it('counts uxsuccess, inprogress and unknown as failures, skips carry their reason, exists is left out', () => {
    expect(testcaseXml({ ...base, status: 'uxsuccess' })).toContain(
      '<failure message="unexpected success" type="unittest.case._UnexpectedSuccess">',
    );
    expect(testcaseXml({ ...base, status: 'inprogress' })).toContain('<failure message="test inprogress"');
    expect(testcaseXml({ ...base, status: 'unknown' })).toContain('<failure ');
    expect(testcaseXml({ ...base, status: 'skip', reason: 'no <db>' })).toContain(
      '<skipped message="no &lt;db&gt;">no &lt;db&gt;</skipped>',
    );
    expect(testcaseXml({ ...base, status: 'exists' })).toBe('');
  });
});
