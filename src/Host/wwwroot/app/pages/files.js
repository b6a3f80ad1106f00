import { h, show, notice, announce, dataTable } from '../dom.js';
import { dateTime, bytes } from '../format.js';
import { tokenNames, tokenLink } from './token-names.js';

export async function render({ wsid, api, params }) {
  const folder = (params.get('folder') ?? 'inbox').replace(/^\/+|\/+$/g, '');
  const [files, names, settings, uploads] = await Promise.all([folder === 'inbox' ? api.inbox() : api.files(folder), tokenNames(api),
    folder === 'inbox' ? api.settings() : null, api.uploads()]);
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
    { label: 'State', cell: f => reviewState(f), className: 'wrap' },
    { label: 'Action', cell: f => f.state === 'pending' ? review(api, f, () => render({ wsid, api, params }))
        : h('button', { type: 'button', class: 'download', onclick: () => download(api, f.path) },
          'Download', h('span', { class: 'visually-hidden' }, ` ${f.path}`)) },
  ];
  const title = folder === 'inbox' ? 'Inbox' : folder ? `Folder ${folder}` : 'All files';
  const approval = settings === null ? null : h('div', { class: 'setting' },
    h('p', {}, h('label', {},
      h('input', { type: 'checkbox', id: 'inbox-approval', checked: settings.inbox_approval ? '' : null, onchange: async event => {
        await api.saveSettings({ inbox_approval: event.target.checked });
        announce(event.target.checked ? 'New Inbox files now wait for approval.' : 'New Inbox files are available at once.');
      } }), ' Hold new Inbox files until a member approves them')),
    // Two-person review (ADR 27): with 2, two different members must approve before a held file is released.
    h('p', {}, h('label', { for: 'approvals-required' }, 'Approvals needed to release a file '),
      h('select', { id: 'approvals-required', onchange: async event => {
        const value = Number(event.target.value);
        await api.saveSettings({ approvals_required: value });
        announce(value === 2 ? 'Two different members must now approve each held file.' : 'One member’s approval now releases a held file.');
      } },
        [1, 2].map(n => h('option', { value: String(n), selected: settings.approvals_required === n ? '' : null },
          n === 1 ? '1 (one member)' : '2 (two different members)')))));
  // Files appear here only once the malware scan passed them (docs/adr/0023); say what is still waiting or was blocked.
  const scanning = uploads.filter(u => u.scan === 'scanning').length, blocked = uploads.filter(u => u.scan === 'blocked').length;
  const scanNote = scanning + blocked === 0 ? null : h('p', { class: 'scan-note', role: 'status' },
    scanning ? `${scanning} ${scanning === 1 ? 'file is' : 'files are'} being scanned for malware and will appear once clean. ` : '',
    blocked ? `${blocked} ${blocked === 1 ? 'file was' : 'files were'} blocked by the malware scan and kept in quarantine. ` : '',
    h('a', { href: `#/ws/${encodeURIComponent(wsid)}/uploads` }, 'See Uploads'));
  show(h('h1', {}, title), approval, scanNote, crumbs, folderList,
    here.length === 0 && subfolders.size === 0 ? h('p', {}, 'No files here yet.') :
      here.length === 0 ? null : dataTable(`Files in ${folder || 'the workspace'}`, columns, here.map(f => ({ data: f, attributes: { 'data-path': f.path } }))));
}

// Who approved a held file so far, and how many of how many approvals it needs.
function reviewState(file) {
  const approvals = file.approvals ?? [];
  const names = approvals.map(a => a.by).join(', ');
  if (file.state === 'pending') {
    return h('span', { class: 'review-state' }, 'Awaiting approval',
      file.approvals_required ? h('span', { class: 'approvals' },
        ` — ${approvals.length} of ${file.approvals_required} approvals${names ? `, approved by ${names}` : ''}`) : null);
  }
  return h('span', { class: 'review-state' }, 'Available',
    approvals.length ? h('span', { class: 'approvals' }, ` — approved by ${names} (${approvals.length} of ${file.approvals_required ?? approvals.length})`) : null);
}

// The workspace reviews its Inbox: a waiting file is approved, or rejected with a reason the audit trail keeps.
function review(api, file, refresh) {
  const reasonId = `reason-${file.id}`;
  const error = h('p', { class: 'field-error', id: `${reasonId}-error`, role: 'alert' });
  const reason = h('input', { id: reasonId, name: 'reason', maxlength: '500', 'aria-describedby': `${reasonId}-error` });
  const act = async action => {
    try {
      await action();
      announce(`Done: ${file.path}.`);
      await refresh();
    } catch (e) {
      error.textContent = e.fieldErrors?.reason ?? e.message;
    }
  };
  return h('div', { class: 'review' },
    h('button', { type: 'button', class: 'approve', onclick: () => act(() => api.approve(file.id)) }, 'Approve',
      h('span', { class: 'visually-hidden' }, ` ${file.path}`)),
    h('form', { class: 'reject', onsubmit: event => { event.preventDefault(); act(() => api.reject(file.id, reason.value)); } },
      h('label', { for: reasonId }, 'Reason'), reason,
      h('button', { type: 'submit' }, 'Reject', h('span', { class: 'visually-hidden' }, ` ${file.path}`)), error));
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
