// --meta parsing and the precedence of metadata layers.
import { describe, expect, it } from 'vitest';
import { datasetFields, mergeMetadata, MetaArgumentError, parseMetaArgs } from './metadata.js';

describe('parseMetaArgs', () => {
  it('puts dataset fields in fields and any other key in extra; the last of a key wins', () => {
    const m = parseMetaArgs(['name=job-a', 'cloud=rax', 'name=job-b', 'url=https://x/y?a=b=c', 'note=']);
    expect(m).toEqual({
      fields: { name: 'job-b', url: 'https://x/y?a=b=c' },
      extra: { cloud: 'rax', note: '' },
    });
  });

  it('clears a dataset field with an empty value', () => {
    expect(parseMetaArgs(['pipeline=']).fields).toEqual({ pipeline: null });
  });

  it.each(['novalue', '=x', '1abc=x', 'a b=x'])('refuses %j', (arg) => {
    expect(() => parseMetaArgs([arg])).toThrow(MetaArgumentError);
  });
});

describe('mergeMetadata', () => {
  it('lets later layers win, field by field (env < inventory < --meta)', () => {
    const env = { fields: { name: 'env-job', pipeline: 'gate' }, extra: {} };
    const zuul = { fields: { name: 'zuul-job', change_id: '1' }, extra: { tenant: 'openstack' } };
    const meta = parseMetaArgs(['change_id=2', 'tenant=other', 'pipeline=']);
    const m = mergeMetadata(env, zuul, meta);
    expect(m.fields).toEqual({ name: 'zuul-job', pipeline: null, change_id: '2' });
    expect(datasetFields(m)).toEqual({
      name: 'zuul-job',
      pipeline: null,
      change_id: '2',
      metadata: { tenant: 'other' },
    });
  });
});
