// The Zuul inventory reader on inventories written as Zuul writes them, unknown tags, and malformed files.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseZuulInventory, zuulMetadata, ZuulInventoryError } from './zuul-inventory.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../test/fixtures/zuul/${name}`, import.meta.url), 'utf8');

describe('parseZuulInventory', () => {
  it.each(['inventory-unsafe.yaml', 'inventory-plain.yaml'])('maps %s onto the dataset', (name) => {
    const m = zuulMetadata(parseZuulInventory(fixture(name)));
    expect(m.fields).toEqual({
      name: 'tempest-full-py3',
      url: 'https://review.opendev.org/951234',
      pipeline: 'check',
      change_id: '951234',
      revision: '7',
      change_project: 'openstack/nova',
      change_subject: 'Make the compute API return 409 on a locked server',
    });
    expect(m.extra).toMatchObject({
      project_canonical_name: 'opendev.org/openstack/nova',
      tenant: 'openstack',
      branch: 'master',
      ref: 'refs/changes/34/951234/7',
      build: '5f9ef3a5c8e44e5b8c6f1c2b2f2d4a61',
      buildset: 'f1d2c3b4a5968778695a4b3c2d1e0f9a',
      attempts: '1',
      voting: 'true',
    });
  });

  it('maps a periodic build (no change): revision is the new revision', () => {
    const m = zuulMetadata(parseZuulInventory(fixture('inventory-periodic.yaml')));
    expect(m.fields).toEqual({
      name: 'tempest-full-py3',
      pipeline: 'periodic',
      revision: '0c6e3f2a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e',
      change_project: 'openstack/nova',
    });
    expect(m.extra['ref']).toBe('refs/heads/master');
    expect(m.extra['oldrev']).toBe('9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b');
  });

  it('keeps the plain value of any tag it does not know, scalar or collection', () => {
    const z = parseZuulInventory(
      [
        'all:',
        '  vars:',
        '    secret_thing: !encrypted/pkcs1-oaep',
        '      - abcdef==',
        '    zuul: !whatever',
        '      job: !unsafe tempest-full',
        '      change: !custom 12345',
        '      attempts: !x 2',
        '      message: !unsafe plain words',
        '      project: !mapping {name: !unsafe openstack/tempest, canonical_name: opendev.org/openstack/tempest}',
      ].join('\n'),
    );
    expect(z.job).toBe('tempest-full');
    expect(z.change).toBe('12345');
    expect(z.attempts).toBe('2');
    expect(z.message).toBe('plain words');
    expect(z.project).toEqual({
      name: 'openstack/tempest',
      canonical_name: 'opendev.org/openstack/tempest',
      short_name: null,
    });
  });

  it('keeps the plain value under YAML 1.1 tags, verbatim tags and %TAG handles too', () => {
    const z = parseZuulInventory(
      [
        '%TAG !e! tag:example.com,2000:',
        '---',
        'all:',
        '  vars:',
        '    zuul:',
        "      job: !!python/unicode 'tempest'",
        '      change: !<tag:example.com:x> 42',
        '      pipeline: !e!thing check',
        '      patchset: !!int 3',
        '      project: !!python/dict',
        '        name: !unsafe openstack/nova',
      ].join('\n'),
    );
    expect(z).toMatchObject({ job: 'tempest', change: '42', pipeline: 'check', patchset: '3' });
    expect(z.project.name).toBe('openstack/nova');
  });

  it('reads anchors and aliases (PyYAML writes them for a mapping that appears twice)', () => {
    const z = parseZuulInventory(
      [
        'all:',
        '  vars:',
        '    zuul:',
        '      items:',
        '      - project: &id001',
        "          name: !unsafe 'openstack/nova'",
        "          canonical_name: !unsafe 'opendev.org/openstack/nova'",
        "      job: !unsafe 'nova-next'",
        '      project: *id001',
      ].join('\n'),
    );
    expect(z.project.name).toBe('openstack/nova');
    expect(z.job).toBe('nova-next');
  });

  it.each([
    ['', /no all\.vars\.zuul/],
    ['all: [unclosed', /not YAML/],
    ['just text', /no all\.vars\.zuul/],
    ['all:\n  vars:\n    other: 1', /no all\.vars\.zuul/],
    ['all:\n  vars:\n    zuul: [1, 2]', /all\.vars\.zuul is not a mapping/],
    ['all:\n  vars:\n    zuul:\n      project: {name: a}', /zuul\.job is not a string/],
    [
      'all:\n  vars:\n    zuul:\n      job: j\n      project: openstack/nova',
      /zuul\.project is not a mapping/,
    ],
    [
      'all:\n  vars:\n    zuul:\n      job: j\n      project: {canonical_name: x}',
      /project\.name is not a string/,
    ],
    [
      'all:\n  vars:\n    zuul:\n      job: j\n      project: {name: a}\n      change: {a: 1}',
      /zuul\.change is a mapping/,
    ],
    [
      'all:\n  vars:\n    zuul:\n      job: j\n      project: {name: a}\n      pipeline: [check]',
      /zuul\.pipeline is a list/,
    ],
  ])('refuses %j', (text, problem) => {
    expect(() => parseZuulInventory(text)).toThrow(ZuulInventoryError);
    expect(() => parseZuulInventory(text)).toThrow(problem);
  });
});
