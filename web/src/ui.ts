// Small pieces every page uses: state badges, the confirmation dialog,
// notices for results and errors, page headings.
import { h } from './dom';

export function stateBadge(state: string): HTMLSpanElement {
  return h('span', { class: `badge state-${state.toLowerCase()}`, 'data-state': state }, state);
}

export function updateBadge(badge: HTMLElement, state: string): void {
  if (badge.dataset.state === state) return;
  badge.dataset.state = state;
  badge.className = `badge state-${state.toLowerCase()}`;
  badge.textContent = state;
}

export function pageTitle(text: string, ...extra: (Node | string)[]): HTMLElement {
  document.title = `${text} · Artery`;
  return h('div', { class: 'page-title' }, h('h1', null, text), ...extra);
}

// A line under a form or a button: what happened, in the engine's words.
export function notice(): { el: HTMLDivElement; ok: (t: string) => void; error: (t: string) => void; clear: () => void } {
  const el = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite', hidden: true });
  const show = (kind: string, text: string) => {
    el.className = `notice ${kind}`;
    el.textContent = text;
    el.hidden = false;
  };
  return {
    el,
    ok: (t) => show('ok', t),
    error: (t) => show('error', t),
    clear: () => {
      el.hidden = true;
      el.textContent = '';
    },
  };
}

export function errorBox(text: string): HTMLDivElement {
  return h('div', { class: 'notice error', role: 'alert' }, text);
}

// A modal that asks before an action; resolves true when confirmed.
// (A <dialog>, not window.confirm: it can say what will happen, and
// a tablet shows it properly.)
export function confirmAction(title: string, text: string, confirmLabel: string, danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h(
      'dialog',
      { class: 'confirm' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', null, title),
        h('p', null, text),
        h(
          'div',
          { class: 'buttons' },
          h('button', { value: 'cancel', class: 'secondary' }, 'Cancel'),
          h('button', { value: 'ok', class: danger ? 'danger' : 'primary', autofocus: true }, confirmLabel),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

// A modal for a new password (and the current one, when users change their
// own); resolves null when cancelled.
export function askPassword(
  title: string,
  text: string,
  withCurrent = false,
): Promise<{ password: string; current: string } | null> {
  return new Promise((resolve) => {
    const input = h('input', { type: 'password', name: 'new_password', autocomplete: 'new-password', minlength: 12, required: true });
    const current = h('input', { type: 'password', name: 'current_password', autocomplete: 'current-password', required: true });
    const dialog = h(
      'dialog',
      { class: 'confirm' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', null, title),
        h('p', null, text),
        withCurrent ? h('label', null, 'Current password', current) : null,
        h('label', null, 'New password (12 characters or more)', input),
        h(
          'div',
          { class: 'buttons' },
          h('button', { value: 'cancel', class: 'secondary', formnovalidate: true }, 'Cancel'),
          h('button', { value: 'ok', class: 'primary' }, 'Set password'),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok' ? { password: input.value, current: current.value } : null);
      dialog.remove();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

export function loading(text = 'Loading…'): HTMLParagraphElement {
  return h('p', { class: 'loading' }, text);
}

// A table whose header row is given by column names; rows are appended by the caller.
export function table(columns: string[], className = ''): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h('tbody');
  const t = h(
    'table',
    { class: `grid ${className}` },
    h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c)))),
    body,
  );
  return { table: t, body };
}

// Tables scroll inside their own box on a narrow screen, never the page.
export function scrollBox(...children: Node[]): HTMLDivElement {
  return h('div', { class: 'table-scroll' }, ...children);
}
