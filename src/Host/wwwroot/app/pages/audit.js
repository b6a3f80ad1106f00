import { h, show, dataTable, notice } from '../dom.js';
import { dateTime, bytes, destination } from '../format.js';

const PAGE_SIZE = 50;
const TYPES = ['issued', 'used', 'revoked', 'expired', 'exhausted', 'archived', 'upload_received', 'upload_routed', 'upload_rejected',
  'upload_approval_given', 'upload_approved', 'upload_rejected_by_reviewer', 'upload_purged', 'table_loaded', 'table_load_failed',
  'file_downloaded', 'table_rows_read', 'table_rejects_read', 'table_exported', 'settings_changed', 'audit_downloaded', 'access_denied',
  'database_credentials_issued', 'database_credentials_rotated', 'database_credentials_revoked', 'webhook_created', 'webhook_deleted',
  'webhook_disabled', 'webhook_enabled', 'webhook_secret_rotated'];
const FILTERS = ['tid', 'type', 'by', 'from', 'to'];

// The filters of the page's address as the API's query: dates are whole UTC days, "to" inclusive.
function apiQuery(params) {
  const q = new URLSearchParams();
  for (const name of FILTERS) {
    const value = params.get(name);
    if (!value) continue;
    if (name === 'to') {
      const next = new Date(`${value}T00:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      q.set('to', next.toISOString().slice(0, 10));
    } else q.set(name, value);
  }
  return q;
}

export async function render({ wsid, api, params }) {
  const tid = params.get('tid') ?? '';
  const tokens = await api.tokens();
  const names = new Map(tokens.map(t => [t.tid, t.reason]));
  const query = apiQuery(params);
  const pageQuery = new URLSearchParams(query);
  pageQuery.set('limit', String(PAGE_SIZE));
  if (params.get('after')) pageQuery.set('after', params.get('after'));
  // The workspace's trail holds every module's events (tokens, uploads, reviews, tables, members' access).
  const page = await api.auditPage(pageQuery.toString());
  const events = page.entries;

  const go = changes => {
    const next = new URLSearchParams(params);
    for (const [name, value] of Object.entries(changes)) {
      if (value) next.set(name, value); else next.delete(name);
    }
    const text = next.toString();
    location.hash = `#/ws/${encodeURIComponent(wsid)}/audit${text ? `?${text}` : ''}`;
  };

  const tokenFilter = h('select', { id: 'token-filter', name: 'tid' },
    h('option', { value: '' }, 'All tokens'),
    tokens.map(t => h('option', { value: t.tid, selected: t.tid === tid }, `${t.reason} (${t.status})`)));
  tokenFilter.addEventListener('change', () => go({ tid: tokenFilter.value, after: '' }));
  const typeFilter = h('select', { id: 'type-filter', name: 'type' },
    h('option', { value: '' }, 'All events'),
    TYPES.map(t => h('option', { value: t, selected: t === params.get('type') }, t)));
  const byFilter = h('input', { id: 'by-filter', name: 'by', type: 'text', value: params.get('by') ?? '', autocomplete: 'off' });
  const fromFilter = h('input', { id: 'from-filter', name: 'from', type: 'date', value: params.get('from') ?? '' });
  const toFilter = h('input', { id: 'to-filter', name: 'to', type: 'date', value: params.get('to') ?? '' });
  const form = h('form', { class: 'audit-filters' },
    h('div', { class: 'field inline' }, h('label', { for: 'token-filter' }, 'Token'), tokenFilter,
      h('label', { for: 'type-filter' }, 'Event'), typeFilter,
      h('label', { for: 'by-filter' }, 'Person'), byFilter),
    h('div', { class: 'field inline' }, h('label', { for: 'from-filter' }, 'From'), fromFilter,
      h('label', { for: 'to-filter' }, 'To (inclusive)'), toFilter,
      h('button', { type: 'submit' }, 'Apply filters')));
  form.addEventListener('submit', event => {
    event.preventDefault();
    go({ tid: tokenFilter.value, type: typeFilter.value, by: byFilter.value.trim(), from: fromFilter.value, to: toFilter.value, after: '' });
  });

  const status = h('p', { class: 'download-status', role: 'status' });
  const download = h('button', { type: 'button', id: 'download-csv' }, 'Download CSV');
  download.addEventListener('click', async () => {
    download.disabled = true;
    status.textContent = 'Preparing the download…';
    try {
      // The API needs the bearer token, so the file is fetched and handed to the browser as a blob.
      const blob = await api.auditCsv(query.toString());
      const link = h('a', { href: URL.createObjectURL(blob), download: `audit-${wsid}.csv` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      status.textContent = 'Downloaded every matching entry as CSV.';
    } catch (error) {
      status.replaceChildren(notice('error', `The download failed: ${error.message}`));
    } finally {
      download.disabled = false;
    }
  });

  const columns = [
    { label: 'When', cell: e => dateTime(e.at) },
    { label: 'Event', cell: e => h('span', { class: `event event-${e.type}` }, e.type) },
    { label: 'Token', cell: e => e.tid ? (names.get(e.tid) ?? e.tid) : '—', className: 'wrap' },
    { label: 'By', cell: e => e.by ?? '—' },
    { label: 'Details', cell: e => details(e), className: 'wrap' },
  ];
  const paging = h('nav', { class: 'paging', 'aria-label': 'Audit pages' },
    params.get('after') ? h('a', { href: '#', id: 'first-page', onclick: e => { e.preventDefault(); go({ after: '' }); } }, 'First page') : null,
    page.next !== null ? h('a', { href: '#', id: 'next-page', onclick: e => { e.preventDefault(); go({ after: String(page.next) }); } }, 'Next page') : null);
  show(h('h1', {}, 'Audit trail'),
    h('p', {}, 'Every upload token\'s life, what became of each file it delivered, and what members read, exported or changed; oldest first, ' +
      `${PAGE_SIZE} to a page.`),
    form,
    h('p', {}, download), status,
    events.length === 0 ? h('p', {}, 'No events.') :
      dataTable(tid ? `Audit trail of "${names.get(tid) ?? tid}"` : 'Audit trail of the workspace', columns,
        events.map(e => ({ data: e, attributes: { 'data-type': e.type, 'data-seq': e.seq } })), { className: 'timeline' }),
    paging);
}

function quota(d) {
  const limits = [d.max_bytes != null ? `at most ${bytes(d.max_bytes)}` : null, d.max_files != null ? `at most ${d.max_files} files` : null,
    d.allowed_patterns?.length ? `${d.allowed_patterns.join(', ')} only` : null].filter(Boolean);
  return limits.length ? `; ${limits.join(', ')}` : '';
}

function details(e) {
  const d = e.details ?? {};
  switch (e.type) {
    case 'issued': return `Valid ${dateTime(d.valid_from)} to ${dateTime(d.valid_to)}; to ${destination(d.destination)}${quota(d)}`;
    case 'used': return `${d.files} ${d.files === 1 ? 'file' : 'files'}, ${bytes(d.bytes)}`;
    case 'expired': return `Valid until ${dateTime(d.valid_to)}`;
    case 'exhausted': return d.reason ?? '';
    case 'upload_received': return `${d.name} (${bytes(d.size)}) for the ${d.routed_to}`;
    case 'upload_routed': return d.awaiting_approval ? `${d.location}, awaiting approval` : d.location;
    case 'upload_approval_given':
    case 'upload_approved': return d.of ? `Approval ${d.approval} of ${d.of}${d.approval < d.of ? ', awaiting another member' : ', released'}` : '';
    case 'upload_rejected':
    case 'upload_rejected_by_reviewer':
    case 'table_load_failed': return d.reason ?? '';
    case 'table_loaded': return `Table ${d.table}: ${d.rows} rows (${d.mode})`;
    case 'file_downloaded': return `Downloaded ${d.path}`;
    case 'table_rows_read': return `Read up to ${d.limit} rows of ${e.table}`;
    case 'table_rejects_read': return `Read up to ${d.limit} rows ${e.table} did not load`;
    case 'table_exported': return `Exported ${e.table} as ${d.format}`;
    case 'settings_changed': return `${d.setting}: ${d.from} → ${d.to}`;
    case 'audit_downloaded': return `Audit downloaded as ${d.format}`;
    case 'access_denied': return `Refused: ${d.method} ${d.path}`;
    case 'database_credentials_issued': return `Database login ${d.user}`;
    case 'database_credentials_rotated':
    case 'database_credentials_revoked': return `Database login ${d.user}; ${d.sessions_ended} ${d.sessions_ended === 1 ? 'session' : 'sessions'} ended`;
    default: return '';
  }
}
