// A tiny DOM builder: every string becomes a text node, so data can never turn into markup.
export type Child = Node | string | number | null | undefined | false;

export interface Attrs {
  class?: string;
  href?: string;
  title?: string;
  id?: string;
  role?: string;
  type?: string;
  tabindex?: string;
  scope?: string;
  [name: `data-${string}` | `aria-${string}`]: string | undefined;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's content. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}
