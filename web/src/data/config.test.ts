// config.json layouts: the original's `datasets`, our `tempest` list, several runs, hand-made and broken configs.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { parseConfig } from './config';
import { DataFormatError } from './test-table';

describe('parseConfig', () => {
  it('reads every original config (datasets layout)', () => {
    for (const sub of readdirSync('test/fixtures/expected')) {
      const doc: unknown = JSON.parse(readFileSync(`test/fixtures/expected/${sub}/config.json`, 'utf8'));
      const cfg = parseConfig(doc);
      expect(cfg.runs).toHaveLength(1);
      const run = cfg.runs[0];
      expect(run?.files.raw).toMatch(/-raw\.json$/);
      expect(run?.files.details).toMatch(/-details\.json$/);
      expect(run?.files.stats).toMatch(/-stats\.json$/);
      expect(run?.stats).toBeNull();
      expect(run?.key).toMatch(/\.subunit$/);
    }
  });

  it('prefers the tempest list (inline stats, paths, keys) and keeps run keys unique', () => {
    const stats = { count: 2, start: null, end: null, total_duration: 1, failures: [], skips: [] };
    const cfg = parseConfig({
      deployer: false,
      tempest: [
        {
          id: 0,
          name: 'A',
          source: 'repo_x',
          raw: 'a_raw.json.gz',
          details: 'a_details.json.gz',
          tree: 't',
          stats,
          key: 'repo_x_0',
        },
        {
          id: 1,
          name: 'B',
          source: 'repo_x',
          raw: 'b_raw.json',
          details: 'b_details.json',
          tree: 't',
          stats,
        },
        {
          id: 1,
          name: 'C',
          source: 'repo_x',
          raw: 'c_raw.json',
          details: 'c_details.json',
          tree: 't',
          stats,
        },
      ],
      datasets: [
        {
          name: 'job',
          change_project: 'openstack/nova',
          pipeline: 'check',
          artifacts: [
            { path: 'b_raw.json', artifact_name: 'repo_x_1', artifact_type: 'subunit' },
            { path: 'dstat_log.csv', artifact_name: 'dstat_log.csv', artifact_type: 'dstat' },
          ],
        },
      ],
    });
    expect(cfg.runs.map((r) => r.key)).toEqual(['repo_x_0', 'repo_x_1', 'repo_x_1~2']);
    expect(cfg.runs[0]?.files.details).toBe('a_details.json.gz');
    expect(cfg.runs[0]?.stats?.count).toBe(2);
    expect(cfg.runs[1]?.files.dstat).toBe('dstat_log.csv');
    expect(cfg.dataset?.change_project).toBe('openstack/nova');
    expect(cfg.dataset?.pipeline).toBe('check');
  });

  it('groups datasets artifacts by artifact_name into several runs', () => {
    const art = (n: string, type: string, path: string): object => ({
      path,
      artifact_name: n,
      artifact_type: type,
      primary: type === 'subunit',
    });
    const cfg = parseConfig({
      deployer: false,
      datasets: [
        {
          artifacts: [
            art('r1', 'subunit', 'r1-raw.json'),
            art('r2', 'subunit', 'r2-raw.json.gz'),
            art('r1', 'subunit-details', 'r1-details.json'),
            art('r2', 'subunit-stats', 'r2-stats.json.gz'),
            art('d', 'dstat', 'dstat_log.csv'),
          ],
        },
      ],
    });
    expect(cfg.runs.map((r) => [r.key, r.files.raw, r.files.details, r.files.stats, r.files.dstat])).toEqual([
      ['r1', 'r1-raw.json', 'r1-details.json', null, 'dstat_log.csv'],
      ['r2', 'r2-raw.json.gz', '', 'r2-stats.json.gz', 'dstat_log.csv'],
    ]);
  });

  it('says clearly what is wrong', () => {
    expect(() => parseConfig([])).toThrow(DataFormatError);
    expect(() => parseConfig({ deployer: false, datasets: [] })).toThrow(/no runs/);
    expect(() => parseConfig({ tempest: [{ id: 0 }] })).toThrow(/raw/);
  });

  it('points our lanes at the pcp-dstat log as recorded, and reads metadata and performance', () => {
    const stats = { count: 1, start: null, end: null, total_duration: 1, failures: [], skips: [] };
    const art = (path: string, type: string): Record<string, unknown> => ({
      path,
      artifact_name: type.startsWith('subunit') ? 'run' : path,
      artifact_type: type,
      content_type: 'x',
      primary: false,
    });
    const dataset = {
      name: 'tempest-full-py3',
      url: 'https://review.opendev.org/951234',
      status: null,
      ci_username: 'zuul',
      pipeline: 'check',
      change_id: '951234',
      revision: '7',
      change_project: 'openstack/nova',
      change_subject: 's',
      metadata: { tenant: 'openstack', bad: 3 },
      artifacts: [
        art('dstat_log.csv', 'dstat'),
        art('dstat_pcp.csv', 'dstat-recorded'),
        art('performance.json', 'performance'),
        art('r.json', 'subunit'),
      ],
    };
    const tempest = parseConfig({
      tempest: [{ raw: 'r.json', stats, dstat: 'dstat_log.csv', dstat_recorded: 'dstat_pcp.csv' }],
      datasets: [dataset],
      performance: 'performance.json',
    });
    expect(tempest.runs[0]?.files.dstat).toBe('dstat_pcp.csv');
    expect(tempest.performance).toBe('performance.json');
    expect(tempest.dataset?.metadata).toEqual({ tenant: 'openstack' });
    expect(tempest.dataset?.ci_username).toBe('zuul');
    // The original's layout (no tempest list): the artifacts say the same.
    const datasets = parseConfig({ datasets: [dataset] });
    expect(datasets.runs[0]?.files.dstat).toBe('dstat_pcp.csv');
    expect(datasets.performance).toBe('performance.json');
    // A classic log alone is what the lanes read.
    const classic = parseConfig({
      datasets: [
        { ...dataset, artifacts: dataset.artifacts.filter((a) => a['artifact_type'] !== 'dstat-recorded') },
      ],
    });
    expect(classic.runs[0]?.files.dstat).toBe('dstat_log.csv');
    expect(classic.performance).toBe('performance.json');
  });
});
