import { h, type Child } from './dom.js';

/**
 * A modal <dialog>: focus moves into it, Escape closes it, and the rest of the page is inert while
 * it is open, so the whole flow works from the keyboard.
 */
export function openDialog(title: string, ...content: Child[]): { dialog: HTMLDialogElement; close(): void } {
  const heading = h('h2', { id: `dialog-title-${Date.now()}` }, title);
  const dialog = h('dialog', { 'aria-labelledby': heading.id }, heading, ...content);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.appendChild(dialog);
  dialog.showModal();
  return { dialog, close: () => dialog.close() };
}

/** Asks before a change; resolves true only on the confirming button. */
export function confirmAction(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = false;
    const { dialog, close } = openDialog(
      title,
      h('p', {}, message),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'secondary', onclick: () => close() }, 'Cancel'),
        h('button', { type: 'button', class: 'primary', onclick: () => { answer = true; close(); } }, confirmLabel),
      ),
    );
    dialog.addEventListener('close', () => resolve(answer));
  });
}
