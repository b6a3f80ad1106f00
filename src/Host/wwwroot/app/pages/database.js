import { h, show, notice, announce, dataTable } from '../dom.js';
import { dateTime } from '../format.js';
import { tokenNames, tokenLink } from './token-names.js';
import { progressText } from './uploads.js';
import { copyButton } from './tokens.js';

const PREVIEW_ROWS = 10;

// The password just issued: the only copy in the page, kept in this variable (never in the DOM, never in
// storage) and dropped by leave(), so once the user navigates away it can be neither copied nor found.
let fresh = null;

export function leave() { fresh = null; }

export async function render({ wsid, api }) {
  const [tables, names, login, uploads] = await Promise.all([api.tables(), tokenNames(api), api.databaseLogin(), api.uploads()]);
  const loading = uploads.filter(u => u.status === 'pending' && u.routed_to === 'database');
  const previews = await Promise.all(tables.map(t => api.rows(t.name, PREVIEW_ROWS).catch(error => error)));
  const rejects = await Promise.all(tables.map(t => t.rows_rejected > 0 ? api.rejects(t.name).catch(error => error) : null));
  const connect = h('section', { id: 'connect', class: 'panel', 'aria-labelledby': 'connect-heading' });
  renderConnect(connect, api, login, tables[0]?.name ?? 'my_table');
  show(h('h1', {}, 'Database'),
    loading.length === 0 ? null : h('section', { class: 'panel loading', 'aria-labelledby': 'loading-heading' },
      h('h2', { id: 'loading-heading' }, 'Loading now'),
      h('ul', {}, loading.map(u => h('li', {}, `${u.name}: `, u.progress ? progressText(u.progress) : 'waiting to start')))),
    connect,
    tables.length === 0
      ? h('p', {}, 'No tables yet. Create an upload token with "Upload data to database" to load CSV or Parquet files as tables.')
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
    downloadCsv(table, api),
    dataTable(`Columns of ${table.name}`, columns, table.columns, { className: 'columns' }),
    previewTable(table, preview),
    rejects ? rejectsList(table, rejects, api) : null);
}

// The table's rows as a CSV that is safe to open in a spreadsheet: the API's default form, in which a text value
// beginning with = + - @ or a tab starts with an apostrophe instead of running as a formula (docs/adr/0033).
function downloadCsv(table, api) {
  const status = h('span', { class: 'download-status', role: 'status' });
  const button = h('button', { type: 'button', class: 'download-csv', 'aria-label': `Download ${table.name} as CSV` }, 'Download CSV');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Preparing the download…';
    try {
      // The API needs the bearer token, so the file is fetched and handed to the browser as a blob.
      const blob = await api.exportCsv(table.name);
      const link = h('a', { href: URL.createObjectURL(blob), download: `${table.name}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      status.textContent = 'Downloaded; safe to open in a spreadsheet.';
    } catch (error) {
      status.replaceChildren(notice('error', `The download failed: ${error.message}`));
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'actions' }, button, status);
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

// The Connect panel: a login of the workspace's own for psql, R or Python. It may read every table of
// this workspace and nothing else (docs/adr/0019).
function renderConnect(panel, api, login, exampleTable) {
  const heading = h('h2', { id: 'connect-heading' }, 'Connect');
  if (!login) {
    fill(panel, heading,
      h('p', {}, 'Query these tables from psql, R, Python or any PostgreSQL client with a database login of this workspace. ',
        'The login may read every table of this workspace, also ones loaded later, and nothing else.'),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary create-login', onclick: () => issue(panel, api, exampleTable, false) }, 'Create database login')));
    return;
  }
  fill(panel, heading,
    fresh ? notice('warning', h('strong', {}, 'Copy the password now. '),
      'It can be copied only now, on this page: Inlet keeps no copy, and once you leave this page it is gone. ',
      'If it is lost, create a new password.') : null,
    h('dl', { class: 'facts login' },
      h('dt', {}, 'Host'), h('dd', {}, h('code', { class: 'login-host' }, login.host)),
      h('dt', {}, 'Port'), h('dd', {}, h('code', { class: 'login-port' }, String(login.port))),
      h('dt', {}, 'Database'), h('dd', {}, h('code', { class: 'login-database' }, login.database)),
      h('dt', {}, 'User'), h('dd', {}, h('code', { class: 'login-user' }, login.user)),
      h('dt', {}, 'Password'), h('dd', {}, fresh ? 'Shown once: use the copy buttons below.' : 'Shown only when it was created. Lost it? Create a new password.'),
      h('dt', {}, 'Created'), h('dd', {}, `${dateTime(login.issued_at)} by ${login.issued_by}`),
      login.rotated_at ? [h('dt', {}, 'New password'), h('dd', {}, `${dateTime(login.rotated_at)} by ${login.rotated_by ?? '—'}`)] : null,
      h('dt', {}, 'Limits'), h('dd', {}, `${login.connection_limit} sessions at once; a query may run ${duration(login.statement_timeout_seconds)}`)),
    h('div', { class: 'actions' },
      fresh ? [copyButton('Copy password', 'copy-password', () => fresh?.password), copyButton('Copy connection URL', 'copy-url', () => fresh?.url)] : null,
      h('button', { type: 'button', class: 'rotate-login', onclick: () => issue(panel, api, exampleTable, true) }, 'Create new password'),
      h('button', { type: 'button', class: 'danger revoke-login', onclick: () => revoke(panel, api, exampleTable) }, 'Revoke login')),
    h('p', {}, 'The snippets read the password from the environment variable ', h('code', {}, 'PGPASSWORD'),
      ', so it stays out of scripts and their history: set it first, e.g. ', h('code', {}, 'read -s PGPASSWORD && export PGPASSWORD'), '.'),
    snippets(login, exampleTable).map(([label, code]) => h('figure', { class: 'snippet' },
      h('figcaption', {}, label), h('pre', { tabindex: 0, 'aria-label': `${label} snippet` }, h('code', { class: `snippet-${label.toLowerCase()}` }, code)))));
}

// replaceChildren would turn a null into the text "null" and an array into "[object …]".
function fill(panel, ...children) {
  panel.replaceChildren(...children.flat().filter(Boolean));
}

function snippets(login, table) {
  const ssl = login.sslmode ? ` sslmode=${login.sslmode}` : '';
  return [
    ['psql', `psql "host=${login.host} port=${login.port} dbname=${login.database} user=${login.user}${ssl}" \\\n  -c 'select * from ${table} limit 10'`],
    ['R', `library(DBI)\ncon <- dbConnect(RPostgres::Postgres(), host = "${login.host}", port = ${login.port},\n  dbname = "${login.database}", user = "${login.user}", password = Sys.getenv("PGPASSWORD")${login.sslmode ? `, sslmode = "${login.sslmode}"` : ''})\ndbGetQuery(con, "select * from ${table} limit 10")`],
    ['Python', `import os, psycopg, pandas as pd\nconn = psycopg.connect(host="${login.host}", port=${login.port}, dbname="${login.database}",\n                       user="${login.user}", password=os.environ["PGPASSWORD"]${login.sslmode ? `, sslmode="${login.sslmode}"` : ''})\npd.read_sql("select * from ${table} limit 10", conn)`],
  ];
}

function duration(seconds) {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

async function issue(panel, api, exampleTable, rotating) {
  if (rotating && !confirm('Create a new password?\n\nThe current password stops working at once and its open sessions are ended.')) return;
  try {
    const issued = await api.issueDatabaseLogin();
    fresh = { password: issued.password, url: issued.url };
    renderConnect(panel, api, await api.databaseLogin(), exampleTable);
    panel.querySelector('button.copy-password')?.focus();
    announce(`Database login ${rotating ? 'given a new password' : 'created'}. Copy the password now: it is shown only once.`);
  } catch (error) {
    panel.prepend(notice('error', `Could not create the database login: ${error.message}`));
  }
}

async function revoke(panel, api, exampleTable) {
  if (!confirm('Revoke the database login?\n\nIt stops working at once and its open sessions are ended.')) return;
  try {
    await api.revokeDatabaseLogin();
    fresh = null;
    renderConnect(panel, api, null, exampleTable);
    panel.querySelector('button.create-login')?.focus();
    announce('Database login revoked.');
  } catch (error) {
    panel.prepend(notice('error', `Could not revoke the database login: ${error.message}`));
  }
}
