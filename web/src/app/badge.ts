// A status badge (text on the status colour), shared by the home and test pages.
import type { ExportStatus } from '../../../src/contract/export-format';
import { h } from './dom';
import { STATUS_FILL, STATUS_LABEL, STATUS_ON_FILL } from './status-colors';

export function statusBadge(status: ExportStatus): HTMLElement {
  const el = h('span', { class: 'badge', 'data-status': status }, STATUS_LABEL[status]);
  el.style.background = STATUS_FILL[status];
  el.style.color = STATUS_ON_FILL[status];
  return el;
}
