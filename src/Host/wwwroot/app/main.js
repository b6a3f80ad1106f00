// A hash router over the pages: each page is a module with render(context) and, if it holds
// something that must not outlive it (a fresh upload token), leave().
import { h, show, notice } from './dom.js';
import { session, signOut, completeOidcSignIn } from './auth.js';
import { workspaceApi } from './api.js';
import * as signIn from './pages/sign-in.js';
import * as workspaces from './pages/workspaces.js';
import * as workspaceHome from './pages/workspace-home.js';
import * as tokens from './pages/tokens.js';
import * as files from './pages/files.js';
import * as database from './pages/database.js';
import * as uploads from './pages/uploads.js';
import * as audit from './pages/audit.js';
import * as webhooks from './pages/webhooks.js';

const workspacePages = {
  '': { page: workspaceHome, title: 'Workspace' },
  tokens: { page: tokens, title: 'Manage upload tokens', menu: 'upload' },
  uploads: { page: uploads, title: 'Uploads', menu: 'upload' },
  files: { page: files, title: 'Files' },
  database: { page: database, title: 'Database' },
  audit: { page: audit, title: 'Audit trail' },
  webhooks: { page: webhooks, title: 'Webhooks' },
};

let current = null;

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  return { segments: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

function renderIdentity() {
  const s = session();
  const identity = document.getElementById('identity');
  identity.replaceChildren(...(s ? [
    h('span', {}, 'Signed in as ', h('strong', {}, s.user)),
    h('button', { type: 'button', class: 'link-button', onclick: () => { signOut(); location.hash = '#/sign-in'; } }, 'Sign out'),
  ] : []));
}

function workspaceLink(wsid, sub, label, active, params = '') {
  return h('a', { href: `#/ws/${encodeURIComponent(wsid)}${sub ? `/${sub}` : ''}${params}`, 'aria-current': active ? 'page' : null }, label);
}

function renderWorkspaceNav(wsid, sub, params) {
  const nav = document.getElementById('workspace-nav');
  if (!wsid) { nav.hidden = true; nav.replaceChildren(); return; }
  const inUpload = workspacePages[sub]?.menu === 'upload';
  const folder = params.get('folder') ?? 'inbox';
  nav.hidden = false;
  nav.replaceChildren(h('ul', {},
    h('li', {}, workspaceLink(wsid, '', wsid, sub === '')),
    h('li', {}, h('details', { class: 'menu', id: 'upload-menu' },
      h('summary', { class: inUpload ? 'active' : null }, 'Upload'),
      h('ul', {},
        h('li', {}, workspaceLink(wsid, 'tokens', 'Manage upload tokens', sub === 'tokens')),
        h('li', {}, workspaceLink(wsid, 'uploads', 'Uploads', sub === 'uploads'))))),
    h('li', {}, workspaceLink(wsid, 'files', 'Inbox', sub === 'files' && folder === 'inbox', '?folder=inbox')),
    h('li', {}, workspaceLink(wsid, 'files', 'All files', sub === 'files' && folder === '', '?folder=')),
    h('li', {}, workspaceLink(wsid, 'database', 'Database', sub === 'database')),
    h('li', {}, workspaceLink(wsid, 'audit', 'Audit trail', sub === 'audit')),
    h('li', {}, workspaceLink(wsid, 'webhooks', 'Webhooks', sub === 'webhooks'))));
}

async function route() {
  current?.leave?.();
  current = null;
  renderIdentity();
  const { segments, params } = parseHash();
  const s = session();

  if (segments[0] === 'sign-in' || !s) {
    renderWorkspaceNav(null);
    document.title = 'Sign in — Inlet';
    current = signIn;
    return signIn.render({ params });
  }
  if (segments[0] !== 'ws' || !segments[1]) {
    renderWorkspaceNav(null);
    document.title = 'Workspaces — Inlet';
    current = workspaces;
    return workspaces.render({ session: s });
  }

  const wsid = segments[1], sub = segments[2] ?? '';
  const entry = workspacePages[sub];
  renderWorkspaceNav(wsid, sub, params);
  if (!entry) {
    document.title = 'Not found — Inlet';
    return show(h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: `#/ws/${encodeURIComponent(wsid)}` }, 'Back to the workspace')));
  }
  document.title = `${entry.title} — ${wsid} — Inlet`;
  current = entry.page;
  try {
    await entry.page.render({ wsid, params, api: workspaceApi(wsid), session: s });
  } catch (error) {
    show(h('h1', {}, entry.title), notice('error', error.message));
  }
}

function closeMenu({ returnFocus = false } = {}) {
  const menu = document.getElementById('upload-menu');
  if (!menu?.open) return;
  menu.open = false;
  if (returnFocus) menu.querySelector('summary').focus();
}

// The Upload menu closes as menus do: Escape (focus back on its button), a click elsewhere, a navigation.
document.addEventListener('keydown', event => { if (event.key === 'Escape') closeMenu({ returnFocus: true }); });
document.addEventListener('click', event => { if (!event.target.closest?.('#upload-menu')) closeMenu(); });

window.addEventListener('hashchange', () => {
  closeMenu();
  route().then(() => document.getElementById('main').focus({ preventScroll: true }));
});

async function start() {
  try {
    const next = await completeOidcSignIn();
    // A changed hash renders through the hashchange listener; render here only when it stays the same.
    if (next && next !== location.hash) { location.hash = next; return; }
  } catch (error) {
    renderIdentity();
    show(h('h1', {}, 'Sign in'), notice('error', error.message), h('p', {}, h('a', { href: '#/sign-in' }, 'Try again')));
    return;
  }
  await route();
}

start();
