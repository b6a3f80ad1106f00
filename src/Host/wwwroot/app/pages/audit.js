import { h, show, dataTable } from '../dom.js';
import { dateTime, bytes, destination } from '../format.js';

export async function render({ wsid, api, params }) {
  const tid = params.get('tid') ?? '';
  const tokens = await api.tokens();
  const names = new Map(tokens.map(t => [t.tid, t.reason]));
  // The workspace's trail holds every module's events (tokens, uploads, reviews, tables); a token's is its slice.
  const events = (await api.audit()).filter(e => !tid || e.tid === tid);

  const filter = h('select', { id: 'token-filter', name: 'tid' },
    h('option', { value: '' }, 'All tokens'),
    tokens.map(t => h('option', { value: t.tid, selected: t.tid === tid }, `${t.reason} (${t.status})`)));
  filter.addEventListener('change', () => {
    location.hash = `#/ws/${encodeURIComponent(wsid)}/audit${filter.value ? `?tid=${encodeURIComponent(filter.value)}` : ''}`;
  });

  const columns = [
    { label: 'When', cell: e => dateTime(e.at) },
    { label: 'Event', cell: e => h('span', { class: `event event-${e.type}` }, e.type) },
    { label: 'Token', cell: e => names.get(e.tid) ?? e.tid, className: 'wrap' },
    { label: 'By', cell: e => e.by ?? '—' },
    { label: 'Details', cell: e => details(e), className: 'wrap' },
  ];
  show(h('h1', {}, 'Audit trail'),
    h('p', {}, 'Every upload token\'s life — issued, used, revoked, expired — and what became of each file it delivered; oldest first.'),
    h('div', { class: 'field inline' }, h('label', { for: 'token-filter' }, 'Token'), filter),
    events.length === 0 ? h('p', {}, 'No events.') :
      dataTable(tid ? `Audit trail of "${names.get(tid) ?? tid}"` : 'Audit trail of the workspace', columns,
        events.map(e => ({ data: e, attributes: { 'data-type': e.type } })), { className: 'timeline' }));
}

function details(e) {
  const d = e.details ?? {};
  switch (e.type) {
    case 'issued': return `Valid ${dateTime(d.valid_from)} to ${dateTime(d.valid_to)}; to ${destination(d.destination)}`;
    case 'used': return `${d.files} ${d.files === 1 ? 'file' : 'files'}, ${bytes(d.bytes)}`;
    case 'expired': return `Valid until ${dateTime(d.valid_to)}`;
    case 'upload_received': return `${d.name} (${bytes(d.size)}) for the ${d.routed_to}`;
    case 'upload_routed': return d.awaiting_approval ? `${d.location}, awaiting approval` : d.location;
    case 'upload_rejected':
    case 'upload_rejected_by_reviewer':
    case 'table_load_failed': return d.reason ?? '';
    case 'table_loaded': return `Table ${d.table}: ${d.rows} rows (${d.mode})`;
    default: return '';
  }
}
