// The two selects that choose the runs to compare (the home page, the compare page).
import type { AppContext } from '../app/page';
import { h } from '../app/dom';
import { compareHash } from '../state/url';

/** Two selects and a button: "Compare A with B" (on the home page and atop the compare page). */
export function comparePicker(ctx: AppContext, a: string, b: string): HTMLElement {
  const select = (chosen: string, label: string): HTMLSelectElement => {
    const s = h('select', { 'aria-label': label });
    for (const r of ctx.report.runs) {
      const o = h('option', null, r.name);
      o.value = r.key;
      o.selected = r.key === chosen;
      s.appendChild(o);
    }
    return s;
  };
  const sa = select(a, 'the earlier run');
  const sb = select(b, 'the later run');
  const go = h('button', { type: 'button', class: 'button' }, 'Compare');
  go.addEventListener('click', () => {
    location.hash = compareHash(sa.value, sb.value);
  });
  return h('div', { class: 'compare-pick', 'data-compare-pick': '' }, 'Compare', sa, 'with', sb, go);
}
