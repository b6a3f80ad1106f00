import { h, show, notice, announce, dataTable } from '../dom.js';
import { dateTime, bytes } from '../format.js';
import { tokenNames, tokenLink } from './token-names.js';

export async function render({ wsid, api, params }) {
  const folder = (params.get('folder') ?? 'inbox').replace(/^\/+|\/+$/g, '');
  const [files, names] = await Promise.all([folder === 'inbox' ? api.inbox() : api.files(folder), tokenNames(api)]);
  const prefix = folder ? `${folder}/` : '';
  const base = `#/ws/${encodeURIComponent(wsid)}/files?folder=`;

  // The API lists everything below the folder; the page shows one level: sub-folders, then files.
  const subfolders = new Map(), here = [];
  for (const file of files) {
    const rest = file.path.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (slash < 0) { here.push(file); continue; }
    const name = rest.slice(0, slash);
    if (name.startsWith('.')) continue; // Inlet's own staging areas are not workspace content.
    const entry = subfolders.get(name) ?? { count: 0, size: 0 };
    entry.count++; entry.size += file.size;
    subfolders.set(name, entry);
  }

  const parts = folder ? folder.split('/') : [];
  const crumbs = h('nav', { 'aria-label': 'Folder', class: 'breadcrumbs' }, h('ol', {},
    h('li', {}, h('a', { href: `${base}` }, 'All files')),
    parts.map((part, i) => h('li', {}, i === parts.length - 1
      ? h('span', { 'aria-current': 'page' }, part)
      : h('a', { href: base + encodeURIComponent(parts.slice(0, i + 1).join('/')) }, part)))));

  const folderList = subfolders.size === 0 ? null : h('section', { 'aria-labelledby': 'folders-heading' },
    h('h2', { id: 'folders-heading' }, 'Folders'),
    h('ul', { class: 'folders' }, [...subfolders].map(([name, entry]) => h('li', {},
      h('a', { href: base + encodeURIComponent(prefix + name) }, `${name}/`),
      ` — ${entry.count} ${entry.count === 1 ? 'file' : 'files'}, ${bytes(entry.size)}`))));

  const columns = [
    { label: 'Name', cell: f => f.path.slice(prefix.length), className: 'wrap' },
    { label: 'Size', cell: f => bytes(f.size), className: 'number' },
    { label: 'Received', cell: f => dateTime(f.received_at) },
    { label: 'Via token', cell: f => tokenLink(wsid, names, f.tid), className: 'wrap' },
    { label: 'Download', cell: f => h('button', { type: 'button', class: 'download', onclick: () => download(api, f.path) },
        'Download', h('span', { class: 'visually-hidden' }, ` ${f.path}`)) },
  ];
  const title = folder === 'inbox' ? 'Inbox' : folder ? `Folder ${folder}` : 'All files';
  show(h('h1', {}, title), crumbs, folderList,
    here.length === 0 && subfolders.size === 0 ? h('p', {}, 'No files here yet.') :
      here.length === 0 ? null : dataTable(`Files in ${folder || 'the workspace'}`, columns, here.map(f => ({ data: f, attributes: { 'data-path': f.path } }))));
}

// Downloads need the bearer token, so a plain link cannot do; the bytes come through fetch instead.
async function download(api, path) {
  try {
    const response = await api.fileContent(path);
    const url = URL.createObjectURL(await response.blob());
    const link = h('a', { href: url, download: path.split('/').pop() });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    announce(`Downloading ${path}.`);
  } catch (error) {
    document.getElementById('main').prepend(notice('error', `Could not download ${path}: ${error.message}`));
  }
}
