/** Builds elements with DOM calls only: text is always text, never parsed as markup. */
export type Child = Node | string | number | null | undefined | false;
type Props = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'value') (element as HTMLInputElement).value = String(value ?? '');
    else if (name === 'checked') (element as HTMLInputElement).checked = Boolean(value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attributes: Record<string, string | number>, ...children: Node[]): SVGElement {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) element.appendChild(child);
  return element;
}

/** Times as the admin reads them: local time, to the second, with the date. */
export function when(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  const box = document.getElementById('toast');
  if (!box) return;
  box.className = kind;
  box.textContent = message;
}

/** A read-only field with a Copy button; the field stays selectable where the clipboard is refused. */
export function copyField(label: string, value: string, id: string, multiline = false): HTMLElement {
  const field = multiline
    ? h('textarea', { id, readonly: true, rows: 4, spellcheck: 'false' })
    : h('input', { id, readonly: true, type: 'text', value, spellcheck: 'false' });
  if (multiline) (field as HTMLTextAreaElement).value = value;
  const button = h('button', {
    type: 'button',
    class: 'secondary',
    'aria-describedby': id,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(value);
        button.textContent = 'Copied';
      } catch {
        field.select();
        button.textContent = 'Press Ctrl+C';
      }
    },
  }, 'Copy');
  return h('div', { class: 'copy' }, h('label', { for: id }, label), h('div', { class: 'copy-row' }, field, button));
}
