// What the app shell and its pages share: the page interface, the loaded report, and the error box.
import type { ReportModel, RunModel } from '../model/types';
import type { Route } from '../state/url';
import { h } from './dom';

/** What a page returns: its element, and how to follow a hash change without being rebuilt (optional). */
export interface Page {
  el: HTMLElement;
  /** Returns false when the page cannot follow this route (then it is rebuilt). */
  update?(route: Route): boolean;
  destroy?(): void;
}

export interface AppContext {
  report: ReportModel;
  findRun(key: string | null): RunModel | undefined;
}

export function errorBox(title: string, message: string): HTMLElement {
  return h('div', { class: 'error-box', role: 'alert' }, h('h2', null, title), h('p', null, message));
}
