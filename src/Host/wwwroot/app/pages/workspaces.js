import { h, show, notice } from '../dom.js';

export function render({ session }) {
  const list = session.workspaces;
  show(h('h1', {}, 'Your workspaces'),
    list.length === 0
      ? notice('info', 'Your identity lists no workspace. Ask a workspace administrator for access.')
      : h('ul', { class: 'workspace-list' }, list.map(ws => h('li', {}, h('a', { href: `#/ws/${encodeURIComponent(ws)}` }, ws)))));
}
