import { describe, expect, it } from 'vitest';
import { compareHash, fleetTestHash, formatHash, parseHash } from './url';

describe('history routes', () => {
  it('round-trips the compare and fleet routes, names with any characters included', () => {
    for (const hash of [
      compareHash('repo_0', 'repo 1/x'),
      fleetTestHash('job a&b', 'pkg.Class.test[x=1]?#'),
      '#/history',
    ]) {
      expect(formatHash(parseHash(hash))).toBe(hash);
    }
    expect(parseHash(fleetTestHash('j', 'n&m=1'))).toEqual({ page: 'fleet-test', job: 'j', name: 'n&m=1' });
    expect(parseHash('#/compare/a/b')).toEqual({ page: 'compare', runA: 'a', runB: 'b' });
  });

  it('gives notfound for incomplete ones', () => {
    expect(parseHash('#/history/test?job=j').page).toBe('notfound');
    expect(parseHash('#/compare/a').page).toBe('notfound');
    expect(parseHash('#/history/other').page).toBe('notfound');
  });
});
