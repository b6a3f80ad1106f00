import { h, show, notice, dataTable } from '../dom.js';
import { dateTime } from '../format.js';
import { tokenNames, tokenLink } from './token-names.js';

const PREVIEW_ROWS = 10;

export async function render({ wsid, api }) {
  const [tables, names] = await Promise.all([api.tables(), tokenNames(api)]);
  const previews = await Promise.all(tables.map(t => api.rows(t.name, PREVIEW_ROWS).catch(error => error)));
  show(h('h1', {}, 'Database'),
    tables.length === 0
      ? h('p', {}, 'No tables yet. Create an upload token with "Upload data to database" to load CSV files as tables.')
      : h('ul', { class: 'table-index' }, tables.map(t => h('li', {}, h('a', { href: `#table-${t.name}`, onclick: jump(t.name) }, t.name)))),
    tables.map((t, i) => tableSection(wsid, names, t, previews[i])));
}

// The router owns the hash, so in-page links scroll instead of navigating.
function jump(name) {
  return event => {
    event.preventDefault();
    const target = document.getElementById(`table-${name}`);
    target?.scrollIntoView();
    target?.focus();
  };
}

function tableSection(wsid, names, table, preview) {
  const columns = [
    { label: 'Column', cell: c => c.name },
    { label: 'Type', cell: c => h('code', {}, c.type) },
    { label: 'Description', cell: c => c.description ?? c.title ?? '', className: 'wrap' },
  ];
  return h('section', { id: `table-${table.name}`, class: 'panel db-table', tabindex: -1, 'aria-labelledby': `table-${table.name}-heading` },
    h('h2', { id: `table-${table.name}-heading` }, table.name, table.title ? h('span', { class: 'subtitle' }, ` — ${table.title}`) : null),
    table.description ? h('p', {}, table.description) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Rows'), h('dd', { class: 'row-count' }, String(table.rows)),
      h('dt', {}, 'Source'), h('dd', {}, table.source ?? '—'),
      h('dt', {}, 'Loaded'), h('dd', {}, dateTime(table.loaded_at)),
      h('dt', {}, 'Via token'), h('dd', {}, table.tid ? tokenLink(wsid, names, table.tid) : '—')),
    table.last_error ? notice('error', `The last load failed: ${table.last_error}`) : null,
    dataTable(`Columns of ${table.name}`, columns, table.columns, { className: 'columns' }),
    previewTable(table, preview));
}

function previewTable(table, preview) {
  if (preview instanceof Error) return notice('error', `The preview could not be read: ${preview.message}`);
  const caption = `First ${Math.min(PREVIEW_ROWS, preview.rows.length)} of ${table.rows} rows of ${table.name}`;
  // Rows can be wider than a phone; the preview scrolls on its own, the page never does.
  return h('div', { class: 'scroll-x', tabindex: 0, role: 'region', 'aria-label': caption },
    h('table', { class: 'data preview' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, preview.columns.map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, preview.rows.map(row => h('tr', {}, row.map(v => h('td', {}, v === null ? '∅' : String(v))))))));
}
