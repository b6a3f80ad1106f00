import { h, show, dataTable } from '../dom.js';
import { dateTime, bytes, destination } from '../format.js';

export async function render({ wsid, api, params }) {
  const tid = params.get('tid') ?? '';
  const tokens = await api.tokens();
  const names = new Map(tokens.map(t => [t.tid, t.reason]));
  // One token's trail comes from its own endpoint; the whole workspace's from /audit.
  const events = tid ? (await api.tokenEvents(tid)).map(e => ({ ...e, tid: e.tid ?? tid })) : await api.audit();

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
    h('p', {}, 'The lifecycle of every upload token: issued, used, revoked, expired; oldest first.'),
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
    default: return '';
  }
}
