// Builds DOM nodes from data. Text always goes in as text (never as HTML), so nothing a user or an
// uploader typed can turn into markup or script.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what <main> shows and moves focus there, so keyboard and screen-reader users follow. */
export function show(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...children.flat().filter(Boolean));
  return main;
}

export function announce(message) {
  const announcer = document.getElementById('announcer');
  announcer.textContent = '';
  // A change after a tick is what makes screen readers read the same message twice.
  setTimeout(() => { announcer.textContent = message; }, 50);
}

/** A table that becomes a list of labelled cards on narrow screens (see styles.css). */
export function dataTable(caption, columns, rows, { className = '' } = {}) {
  return h('table', { class: `data ${className}` },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map(c => h('th', { scope: 'col' }, c.label)))),
    h('tbody', {}, rows.map(row => h('tr', row.attributes ?? {},
      columns.map(c => h('td', { 'data-label': c.label, class: c.className }, c.cell(row.data ?? row)))))));
}

export function notice(kind, ...children) {
  return h('div', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...children);
}
