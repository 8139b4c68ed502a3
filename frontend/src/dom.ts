// Small helpers for the page's static elements (`index.html`).

/** The element with `id`, which the page must have and must be a `type`. */
export function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`webterm: the page has no #${id} ${type.name}`);
  return found;
}
