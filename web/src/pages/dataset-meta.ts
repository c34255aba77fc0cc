// The run metadata line of the home page: job, project, change (linked), pipeline, ... and any other metadata.
import { h } from '../app/dom';
import type { DatasetMeta } from '../model/types';

/** Only web links become links: a `javascript:` or `data:` URL in config.json stays text. */
export function safeHttpUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** `<dl>` of the dataset's metadata, or null when it has none; a link to the performance page when there is one. */
export function datasetMetaBlock(dataset: DatasetMeta | null, hasPerformance: boolean): HTMLElement | null {
  const perf = hasPerformance
    ? h('a', { href: '#/performance', class: 'perf-link' }, 'devstack performance')
    : null;
  if (!dataset) return perf === null ? null : h('div', { class: 'dataset-meta' }, perf);
  const change =
    dataset.change_id === null
      ? null
      : `${dataset.change_id}${dataset.revision ? `,${dataset.revision}` : ''}`;
  const url = safeHttpUrl(dataset.url);
  const fields: [string, string | null, string | null][] = [
    ['job', dataset.name, null],
    ['project', dataset.change_project, null],
    // The change links to its review when there is a URL; a URL without a change is shown as its own link.
    ['change', change, url],
    ['link', change === null ? dataset.url : null, url],
    ['subject', dataset.change_subject, null],
    ['pipeline', dataset.pipeline, null],
    ['revision', change === null ? dataset.revision : null, null],
    ['status', dataset.status, null],
    ['user', dataset.ci_username, null],
    ...Object.entries(dataset.metadata).map(([k, v]): [string, string, null] => [k, v, null]),
  ];
  const shown = fields.filter((f): f is [string, string, string | null] => f[1] !== null && f[1] !== '');
  if (shown.length === 0 && perf === null) return null;
  return h(
    'dl',
    { class: 'dataset-meta' },
    // Each name stays with its value when the line wraps (a <div> may group a <dt> and its <dd>).
    ...shown.map(([k, v, href]) =>
      h(
        'div',
        { class: 'meta-pair' },
        h('dt', null, k),
        h('dd', { 'data-key': k }, href === null ? v : h('a', { href, class: 'change-link' }, v)),
      ),
    ),
    perf === null ? null : h('div', { class: 'meta-pair' }, h('dd', { 'data-key': 'performance' }, perf)),
  );
}
