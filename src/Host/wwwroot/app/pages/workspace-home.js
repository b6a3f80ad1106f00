import { h, show } from '../dom.js';

export async function render({ wsid, api }) {
  const [tokens, inbox, tables] = await Promise.all([api.tokens(), api.inbox(), api.tables()]);
  const link = (sub, text) => h('a', { href: `#/ws/${encodeURIComponent(wsid)}/${sub}` }, text);
  const active = tokens.filter(t => t.status === 'active').length;
  show(h('h1', {}, `Workspace ${wsid}`),
    h('p', {}, 'Bring data into this workspace: issue an upload token from the ', h('strong', {}, 'Upload'),
      ' menu and hand it to whoever sends the data. What arrives lands in the Inbox, a folder, or the database.'),
    h('ul', { class: 'cards' },
      h('li', {}, h('h2', {}, link('tokens', 'Upload tokens')), h('p', {}, `${active} active of ${tokens.length}`)),
      h('li', {}, h('h2', {}, link('files?folder=inbox', 'Inbox')), h('p', {}, `${inbox.length} ${inbox.length === 1 ? 'file' : 'files'}`)),
      h('li', {}, h('h2', {}, link('database', 'Database')), h('p', {}, `${tables.length} ${tables.length === 1 ? 'table' : 'tables'}`)),
      h('li', {}, h('h2', {}, link('audit', 'Audit trail')), h('p', {}, 'Every token issued, used, revoked or expired, and who read, exported or changed what'))));
}
