import { h, show, notice, announce, dataTable } from '../dom.js';
import { ApiError } from '../api.js';
import { dateTime, bytes, destination } from '../format.js';
import { clearFieldErrors, showProblem } from './form-errors.js';

const MAX_VALID_DAYS = 30;

// The token just issued: the only copy in the page, kept in this variable (never in the DOM, never in
// storage) and dropped by leave(), so once the user navigates away it can be neither copied nor found.
let fresh = null;

export function leave() { fresh = null; }

export async function render({ wsid, api }) {
  const list = h('section', { 'aria-labelledby': 'tokens-heading' });
  const form = issueForm(api, async issued => {
    fresh = { tid: issued.tid, token: issued.token, azcopy: issued.azcopy };
    await refresh(wsid, api, list);
    list.querySelector('button.copy-token')?.focus();
    announce('Upload token created. Copy it now: it is shown only once.');
  });
  show(h('h1', {}, 'Manage upload tokens'),
    h('section', { 'aria-labelledby': 'issue-heading', class: 'panel' }, h('h2', { id: 'issue-heading' }, 'New upload token'), form),
    list);
  await refresh(wsid, api, list);
}

function issueForm(api, onIssued) {
  const reason = h('textarea', { id: 'reason', name: 'reason', rows: 2, maxlength: 500, 'aria-describedby': 'reason-hint reason-error' });
  const validDays = h('input', { id: 'valid_days', name: 'valid_days', type: 'number', min: 1, max: MAX_VALID_DAYS, step: 1,
    value: MAX_VALID_DAYS, inputmode: 'numeric', 'aria-describedby': 'valid_days-hint valid_days-error' });
  const toDatabase = h('input', { id: 'upload_to_database', name: 'upload_to_database', type: 'checkbox', 'aria-describedby': 'upload_to_database-hint upload_to_database-error' });
  const toFolder = h('input', { id: 'move_to_folder', name: 'move_to_folder', type: 'checkbox', 'aria-controls': 'folder' });
  const folder = h('input', { id: 'folder', name: 'folder', type: 'text', disabled: true, placeholder: 'e.g. site-a/2026', 'aria-describedby': 'folder-error' });

  // A token sends files either to the database or to a folder (the API refuses both): ticking one unticks the other.
  const sync = changed => {
    if (changed === toDatabase && toDatabase.checked) toFolder.checked = false;
    if (changed === toFolder && toFolder.checked) toDatabase.checked = false;
    folder.disabled = !toFolder.checked;
    if (changed === toFolder && toFolder.checked) folder.focus();
  };
  toDatabase.addEventListener('change', () => sync(toDatabase));
  toFolder.addEventListener('change', () => sync(toFolder));

  const form = h('form', { novalidate: true, class: 'stacked', id: 'issue-form' },
    h('div', { class: 'field' }, h('label', { for: 'reason' }, 'Reason'),
      h('p', { id: 'reason-hint', class: 'hint' }, 'Who will upload what, e.g. "Nightly export from site A".'),
      reason, h('p', { id: 'reason-error', class: 'field-error' })),
    h('div', { class: 'field' }, h('label', { for: 'valid_days' }, 'Valid for (days)'),
      h('p', { id: 'valid_days-hint', class: 'hint' }, `From now; at most ${MAX_VALID_DAYS} days.`),
      validDays, h('p', { id: 'valid_days-error', class: 'field-error' })),
    h('div', { class: 'field checkbox' }, toDatabase, h('label', { for: 'upload_to_database' }, 'Upload data to database'),
      h('p', { id: 'upload_to_database-hint', class: 'hint' }, 'CSV and Parquet files and their Table Schema or Data Package become tables.'),
      h('p', { id: 'upload_to_database-error', class: 'field-error' })),
    h('div', { class: 'field checkbox' }, toFolder, h('label', { for: 'move_to_folder' }, 'Move files directly to:'),
      h('label', { for: 'folder', class: 'visually-hidden' }, 'Folder'), folder,
      h('p', { id: 'folder-error', class: 'field-error' })),
    h('p', { class: 'form-error', role: 'alert', tabindex: -1 }),
    h('button', { type: 'submit', class: 'primary' }, 'Create upload token'));

  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearFieldErrors(form);
    const body = { reason: reason.value, upload_to_database: toDatabase.checked, folder: toFolder.checked ? folder.value.trim() : null };
    if (validDays.value.trim() !== '') body.valid_days = Number(validDays.value);
    const submit = form.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const issued = await api.issueToken(body);
      form.reset();
      sync(null);
      await onIssued(issued);
    } catch (error) {
      if (error instanceof ApiError) showProblem(form, error);
      else throw error;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

async function refresh(wsid, api, list) {
  const tokens = await api.tokens();
  const columns = [
    { label: 'Reason', cell: t => t.reason, className: 'wrap' },
    { label: 'Created by', cell: t => t.created_by },
    { label: 'Valid from', cell: t => dateTime(t.valid_from) },
    { label: 'Valid to', cell: t => dateTime(t.valid_to) },
    { label: 'Destination', cell: t => destination(t.destination), className: 'wrap' },
    { label: 'Status', cell: t => h('span', { class: `status status-${t.status}` }, t.status) },
    { label: 'Files', cell: t => String(t.files_received), className: 'number' },
    { label: 'Bytes', cell: t => bytes(t.bytes_received), className: 'number' },
    { label: 'Last used', cell: t => dateTime(t.last_used_at) },
    { label: 'Actions', cell: t => actions(wsid, api, list, t) },
  ];
  const rows = tokens.map(t => ({ data: t, attributes: { 'data-tid': t.tid, class: fresh?.tid === t.tid ? 'fresh' : null } }));
  list.replaceChildren(...[
    h('h2', { id: 'tokens-heading' }, 'Upload tokens'),
    fresh ? notice('warning', h('strong', {}, 'Copy the new token now. '),
      'It can be copied only now, on this page: Inlet keeps no copy, and once you leave this page it is gone. ',
      'If it is lost, revoke it and create another.') : null,
    tokens.length === 0 ? h('p', {}, 'No upload tokens yet.') : dataTable('Upload tokens of this workspace, newest first', columns, rows, { className: 'tokens' }),
  ].filter(Boolean));
}

function actions(wsid, api, list, token) {
  const buttons = [];
  if (fresh?.tid === token.tid) {
    buttons.push(copyButton('Copy token', 'copy-token', () => fresh?.token),
      copyButton('Copy AzCopy command', 'copy-azcopy', () => fresh?.azcopy));
  }
  if (token.status === 'active') {
    buttons.push(h('button', { type: 'button', class: 'danger revoke', onclick: () => revoke(wsid, api, list, token) }, 'Revoke'));
  }
  buttons.push(h('a', { href: `#/ws/${encodeURIComponent(wsid)}/audit?tid=${encodeURIComponent(token.tid)}`, class: 'audit-link' },
    'Audit trail', h('span', { class: 'visually-hidden' }, ` of "${token.reason}"`)));
  return h('div', { class: 'actions' }, buttons);
}

export function copyButton(label, className, secret) {
  const button = h('button', { type: 'button', class: `primary ${className}` }, label);
  button.addEventListener('click', async () => {
    const value = secret();
    if (!value) return;
    try {
      await copyText(value);
      button.textContent = `${label} ✓`;
      announce(`${label.replace('Copy ', '')} copied to the clipboard.`);
    } catch {
      announce('Copying failed: the browser refused access to the clipboard.');
    }
  });
  return button;
}

async function copyText(value) {
  if (navigator.clipboard?.writeText) return navigator.clipboard.writeText(value);
  // Older browsers: a detached text area, selected, copied and removed at once.
  const area = h('textarea', { class: 'visually-hidden', readonly: true });
  area.value = value;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}

async function revoke(wsid, api, list, token) {
  if (!confirm(`Revoke the upload token "${token.reason}"?\n\nUploads with it stop working within seconds. This cannot be undone.`)) return;
  try {
    await api.revokeToken(token.tid);
    if (fresh?.tid === token.tid) fresh = null;
    await refresh(wsid, api, list);
    announce(`Token "${token.reason}" revoked.`);
  } catch (error) {
    list.prepend(notice('error', `Could not revoke the token: ${error.message}`));
  }
}
