// Pages name tokens by their reason (a tid means nothing to a person) and link to their audit trail.
import { h } from '../dom.js';

export async function tokenNames(api) {
  const tokens = await api.tokens();
  return new Map(tokens.map(t => [t.tid, t.reason]));
}

export function tokenLink(wsid, names, tid) {
  return h('a', { href: `#/ws/${encodeURIComponent(wsid)}/audit?tid=${encodeURIComponent(tid)}` }, names.get(tid) ?? tid);
}
