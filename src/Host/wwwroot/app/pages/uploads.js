import { h, show, dataTable } from '../dom.js';
import { dateTime, bytes } from '../format.js';
import { tokenNames, tokenLink } from './token-names.js';

export async function render({ wsid, api }) {
  const [uploads, names] = await Promise.all([api.uploads(), tokenNames(api)]);
  const newestFirst = [...uploads].reverse();
  const columns = [
    { label: 'Received', cell: u => dateTime(u.at) },
    { label: 'Name', cell: u => u.name, className: 'wrap' },
    { label: 'Size', cell: u => bytes(u.size), className: 'number' },
    { label: 'Via token', cell: u => tokenLink(wsid, names, u.tid), className: 'wrap' },
    { label: 'Status', cell: u => h('span', { class: `status status-${u.status}` }, u.status, u.progress ? ` — ${progressText(u.progress)}` : '') },
    { label: 'Malware scan', cell: u => scanCell(u) },
    { label: 'Went to', cell: u => u.location || u.routed_to, className: 'wrap' },
    { label: 'Why rejected', cell: u => u.error ?? '', className: 'wrap' },
  ];
  const rejected = uploads.filter(u => u.status === 'rejected').length;
  const scanning = uploads.filter(u => u.scan === 'scanning').length, blocked = uploads.filter(u => u.scan === 'blocked').length;
  show(h('h1', {}, 'Uploads'),
    h('p', {}, `Every file any token delivered, newest first: ${uploads.length} in all, ${rejected} rejected` +
      (blocked ? ` (${blocked} blocked by the malware scan)` : '') + (scanning ? `, ${scanning} waiting for the malware scan` : '') + '.'),
    uploads.length === 0 ? h('p', {}, 'Nothing uploaded yet.') :
      dataTable('Uploads and where they went', columns, newestFirst.map(u => ({ data: u, attributes: { class: u.status === 'rejected' ? 'rejected' : null } }))));
}

/** A running load, as its upload record reports it: "loading 42 % (1,234 rows)". */
export function progressText(p) {
  const percent = p.bytes_total > 0 ? Math.min(100, Math.floor(100 * p.bytes_done / p.bytes_total)) : 0;
  return `${p.phase} ${percent} % (${p.rows_loaded.toLocaleString('en')} rows)`;
}

/** The malware scan of an upload (docs/adr/0023): waiting, clean, or blocked with the signature found. */
export function scanCell(u) {
  switch (u.scan) {
    case 'scanning': return h('span', { class: 'status status-scanning' }, 'Scanning…');
    case 'clean': return h('span', { class: 'status status-clean' }, 'Clean');
    case 'blocked': return h('span', { class: 'status status-blocked' }, `Blocked: ${u.scan_signature ?? 'malware'}`);
    default: return h('span', { class: 'status' }, 'Not scanned');
  }
}
