// config.json → the runs of a report: both layouts (`tempest` list, `datasets` with artifacts), pure.
import type {
  Artifact,
  ConfigFile,
  Dataset,
  StatsFile,
  TempestRun,
} from '../../../src/contract/export-format';
import type { DatasetMeta, RunFiles } from '../model/types';
import { DataFormatError, hasFields, type Fields } from './test-table';

/** A run as config.json describes it, before any other file is read. Paths are relative to config.json's folder. */
export interface ConfigRun {
  key: string;
  name: string;
  files: RunFiles;
  /** Stats copied inline (the `tempest` layout); null when they must be read from `files.stats`. */
  stats: StatsFile | null;
  config: TempestRun | null;
}

export interface ParsedConfig {
  runs: ConfigRun[];
  dataset: DatasetMeta | null;
  /** config.json's `performance` (devstack's performance.json), or the `performance` artifact's path. */
  performance: string | null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Loose check that inline stats look like the contract's StatsFile (the home page reads these fields). */
export function asStats(v: unknown): StatsFile | null {
  if (!hasFields<StatsFile>(v) || typeof v['count'] !== 'number') return null;
  return {
    ...(v as unknown as StatsFile),
    failures: Array.isArray(v['failures']) ? (v['failures'] as StatsFile['failures']) : [],
    skips: Array.isArray(v['skips']) ? (v['skips'] as StatsFile['skips']) : [],
    total_duration: typeof v['total_duration'] === 'number' ? v['total_duration'] : 0,
    start: str(v['start']),
    end: str(v['end']),
  };
}

function stringRecord(v: unknown): Record<string, string> {
  if (!hasFields<Record<string, unknown>>(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function datasetMeta(d: Fields<Dataset>): DatasetMeta {
  return {
    name: str(d['name']),
    url: str(d['url']),
    status: str(d['status']),
    ci_username: str(d['ci_username']),
    pipeline: str(d['pipeline']),
    change_id: str(d['change_id']),
    revision: str(d['revision']),
    change_project: str(d['change_project']),
    change_subject: str(d['change_subject']),
    metadata: stringRecord(d['metadata']),
  };
}

/** Keys name runs in URLs: they must be unique, so a repeated key gets `~2`, `~3`, ... */
function uniqueKey(used: Set<string>, wanted: string): string {
  let key = wanted === '' ? 'run' : wanted;
  for (let n = 2; used.has(key); n++) key = `${wanted}~${n}`;
  used.add(key);
  return key;
}

export function parseConfig(doc: unknown): ParsedConfig {
  if (!hasFields<ConfigFile>(doc)) throw new DataFormatError('config.json is not a JSON object');
  const datasets = Array.isArray(doc['datasets']) ? doc['datasets'].filter(hasFields<Dataset>) : [];
  const firstDataset = datasets[0];
  const dataset = firstDataset ? datasetMeta(firstDataset) : null;
  const used = new Set<string>();
  const runs: ConfigRun[] = [];

  // Artifacts by path, to name `tempest` runs after their artifacts when they carry no key.
  const artifactNameByPath = new Map<string, string>();
  let datasetDstat: string | null = null;
  // The pcp-dstat log as recorded, when `dstat` is its classic copy (for the original front-end): ours reads both.
  let datasetDstatRecorded: string | null = null;
  let performance = str(doc['performance']);
  for (const d of datasets) {
    for (const a of Array.isArray(d['artifacts']) ? d['artifacts'].filter(hasFields<Artifact>) : []) {
      const p = str(a['path']);
      const n = str(a['artifact_name']);
      if (p !== null && n !== null) artifactNameByPath.set(p, n);
      if (a['artifact_type'] === 'dstat') datasetDstat ??= p;
      if (a['artifact_type'] === 'dstat-recorded') datasetDstatRecorded ??= p;
      if (a['artifact_type'] === 'performance') performance ??= p;
    }
  }

  const tempest = Array.isArray(doc['tempest']) ? doc['tempest'].filter(hasFields<TempestRun>) : [];
  if (tempest.length > 0) {
    tempest.forEach((t, i) => {
      const raw = str(t['raw']);
      if (raw === null) throw new DataFormatError(`config.json: tempest[${i}] names no raw file`);
      const wanted =
        str(t['key']) ??
        artifactNameByPath.get(raw) ??
        `${str(t['source']) ?? 'run'}_${String(t['id'] ?? i)}`;
      runs.push({
        key: uniqueKey(used, wanted),
        name: str(t['name']) ?? wanted,
        files: {
          raw,
          details: str(t['details']) ?? '',
          stats: null,
          tree: str(t['tree']),
          timeline: str(t['timeline']),
          dstat: str(t['dstat_recorded']) ?? str(t['dstat']) ?? datasetDstatRecorded ?? datasetDstat,
        },
        stats: asStats(t['stats']),
        config: t as unknown as TempestRun,
      });
    });
    return { runs, dataset, performance };
  }

  for (const d of datasets) {
    const artifacts = Array.isArray(d['artifacts']) ? d['artifacts'].filter(hasFields<Artifact>) : [];
    let dstat: string | null = null;
    // One group per artifact_name, in order of first appearance.
    const groups = new Map<string, Fields<Artifact>[]>();
    for (const a of artifacts) {
      const type = str(a['artifact_type']) ?? '';
      if (type === 'dstat-recorded') {
        dstat = str(a['path']) ?? dstat;
        continue;
      }
      if (type === 'dstat') {
        if (!artifacts.some((x) => x['artifact_type'] === 'dstat-recorded')) dstat ??= str(a['path']);
        continue;
      }
      if (!type.startsWith('subunit')) continue;
      const name = str(a['artifact_name']) ?? '';
      let g = groups.get(name);
      if (!g) groups.set(name, (g = []));
      g.push(a);
    }
    for (const [name, group] of groups) {
      const pathOf = (type: string): string | null =>
        str(group.find((a) => a['artifact_type'] === type)?.['path']) ?? null;
      const raw = pathOf('subunit');
      if (raw === null) continue;
      runs.push({
        key: uniqueKey(used, name),
        name: name === '' ? raw : name,
        files: {
          raw,
          details: pathOf('subunit-details') ?? '',
          stats: pathOf('subunit-stats'),
          tree: pathOf('subunit-tree'),
          timeline: null,
          dstat,
        },
        stats: null,
        config: null,
      });
    }
  }
  if (runs.length === 0)
    throw new DataFormatError('config.json lists no runs (no `tempest` entries, no subunit artifacts)');
  return { runs, dataset, performance };
}
