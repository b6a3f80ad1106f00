import { h, show, notice, dataTable } from '../dom.js';
import { dateTime } from '../format.js';
import { tokenNames, tokenLink } from './token-names.js';
import { progressText } from './uploads.js';

const PREVIEW_ROWS = 10;

export async function render({ wsid, api }) {
  const [tables, names, uploads] = await Promise.all([api.tables(), tokenNames(api), api.uploads()]);
  const loading = uploads.filter(u => u.status === 'pending' && u.routed_to === 'database');
  const previews = await Promise.all(tables.map(t => api.rows(t.name, PREVIEW_ROWS).catch(error => error)));
  const rejects = await Promise.all(tables.map(t => t.rows_rejected > 0 ? api.rejects(t.name).catch(error => error) : null));
  show(h('h1', {}, 'Database'),
    loading.length === 0 ? null : h('section', { class: 'panel loading', 'aria-labelledby': 'loading-heading' },
      h('h2', { id: 'loading-heading' }, 'Loading now'),
      h('ul', {}, loading.map(u => h('li', {}, `${u.name}: `, u.progress ? progressText(u.progress) : 'waiting to start')))),
    tables.length === 0
      ? h('p', {}, 'No tables yet. Create an upload token with "Upload data to database" to load CSV files as tables.')
      : h('ul', { class: 'table-index' }, tables.map(t => h('li', {}, h('a', { href: `#table-${t.name}`, onclick: jump(t.name) }, t.name)))),
    tables.map((t, i) => tableSection(wsid, names, t, previews[i], rejects[i], api)));
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

function tableSection(wsid, names, table, preview, rejects, api) {
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
      h('dt', {}, 'Rows not loaded'), h('dd', { class: 'rejected-count' }, String(table.rows_rejected ?? 0)),
      h('dt', {}, 'Source'), h('dd', {}, table.source ?? '—'),
      h('dt', {}, 'Loaded'), h('dd', {}, dateTime(table.loaded_at)),
      h('dt', {}, 'Via token'), h('dd', {}, table.tid ? tokenLink(wsid, names, table.tid) : '—')),
    table.last_error ? notice('error', `The last load failed: ${table.last_error}`) : null,
    dataTable(`Columns of ${table.name}`, columns, table.columns, { className: 'columns' }),
    previewTable(table, preview),
    rejects ? rejectsList(table, rejects, api) : null);
}

// Rows of the file that did not become rows of the table, each with its line and why: nothing is dropped unseen.
function rejectsList(table, page, api) {
  if (page instanceof Error) return notice('error', `The rows not loaded could not be read: ${page.message}`);
  const columns = [
    { label: 'Line', cell: r => String(r.line) },
    { label: 'Reason', cell: r => r.reason, className: 'wrap' },
    { label: 'As written', cell: r => h('code', {}, r.raw), className: 'wrap' },
  ];
  const body = h('div', { class: 'rejects' });
  const more = h('button', { type: 'button' }, 'Show more');
  let next = page.next;
  const append = rows => body.append(dataTable(`Rows of ${table.source} not loaded into ${table.name}`, columns, rows, { className: 'rejects-table' }));
  append(page.rejects);
  more.hidden = !next;
  more.addEventListener('click', async () => {
    const following = await api.rejects(table.name, next);
    append(following.rejects);
    next = following.next;
    more.hidden = !next;
  });
  return h('details', { class: 'panel rejects-panel' },
    h('summary', {}, `${table.rows_rejected} row(s) not loaded — line and reason`), body, more);
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
