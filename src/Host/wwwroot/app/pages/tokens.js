import { h, show, notice, announce, dataTable } from '../dom.js';
import { ApiError } from '../api.js';
import { dateTime, bytes, destination } from '../format.js';
import { clearFieldErrors, showProblem } from './form-errors.js';

const MAX_VALID_DAYS = 30;
const UNITS = { bytes: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

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
  // Limits (ADR 28): all optional; left empty, the token has none. The field ids are the API's names, so its
  // problem details land next to the field they name.
  const maxBytes = h('input', { id: 'max_bytes', name: 'max_bytes', type: 'number', min: 1, step: 'any', inputmode: 'decimal',
    'aria-describedby': 'max_bytes-hint max_bytes-error' });
  const unit = h('select', { id: 'max_bytes_unit', name: 'max_bytes_unit', 'aria-label': 'Unit of the most data' },
    ...Object.keys(UNITS).map(u => h('option', { value: u, selected: u === 'MB' ? true : null }, u)));
  const maxFiles = h('input', { id: 'max_files', name: 'max_files', type: 'number', min: 1, step: 1, inputmode: 'numeric',
    'aria-describedby': 'max_files-hint max_files-error' });
  const patterns = h('input', { id: 'allowed_patterns', name: 'allowed_patterns', type: 'text', placeholder: 'e.g. *.csv, *.tsv',
    'aria-describedby': 'allowed_patterns-hint allowed_patterns-error' });

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
    h('fieldset', { class: 'limits' }, h('legend', {}, 'Limits (optional)'),
      h('p', { class: 'hint' }, 'A file over a limit or not allowed is kept in quarantine for review; once a limit is reached the token stops accepting uploads.'),
      h('div', { class: 'field' }, h('label', { for: 'max_bytes' }, 'Most data in all'),
        h('p', { id: 'max_bytes-hint', class: 'hint' }, 'Empty for no limit.'),
        h('div', { class: 'inline' }, maxBytes, unit), h('p', { id: 'max_bytes-error', class: 'field-error' })),
      h('div', { class: 'field' }, h('label', { for: 'max_files' }, 'Most files'),
        h('p', { id: 'max_files-hint', class: 'hint' }, 'Empty for no limit.'),
        maxFiles, h('p', { id: 'max_files-error', class: 'field-error' })),
      h('div', { class: 'field' }, h('label', { for: 'allowed_patterns' }, 'Allowed files'),
        h('p', { id: 'allowed_patterns-hint', class: 'hint' }, 'Patterns separated by commas: * any characters, ? one character. Empty for any file.'),
        patterns, h('p', { id: 'allowed_patterns-error', class: 'field-error' }))),
    h('p', { class: 'form-error', role: 'alert', tabindex: -1 }),
    h('button', { type: 'submit', class: 'primary' }, 'Create upload token'));

  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearFieldErrors(form);
    const body = { reason: reason.value, upload_to_database: toDatabase.checked, folder: toFolder.checked ? folder.value.trim() : null };
    if (validDays.value.trim() !== '') body.valid_days = Number(validDays.value);
    // A value the browser cannot read as a number is sent as it is, so the API names the field at fault.
    if (maxBytes.value.trim() !== '' || maxBytes.validity.badInput)
      body.max_bytes = maxBytes.validity.badInput ? -1 : Math.round(Number(maxBytes.value) * UNITS[unit.value]);
    if (maxFiles.value.trim() !== '' || maxFiles.validity.badInput) body.max_files = maxFiles.validity.badInput ? -1 : Number(maxFiles.value);
    const allowed = patterns.value.split(',').map(p => p.trim()).filter(p => p !== '');
    if (allowed.length > 0) body.allowed_patterns = allowed;
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
    { label: 'Status', cell: t => status(t) },
    { label: 'Limits', cell: t => limits(t), className: 'wrap' },
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

function status(t) {
  const badge = h('span', { class: `status status-${t.status}` }, t.status);
  // Why it stopped, where the quota was the reason: the limit and the usage, as Ingestion found them.
  return t.status === 'exhausted' && t.exhausted_reason ? h('div', {}, badge, h('p', { class: 'hint exhausted-reason' }, t.exhausted_reason)) : badge;
}

/** The token's limits as a person reads them: "at most 1.0 MB, 10 files; *.csv only", or "none". */
export function limits(t) {
  const most = [t.max_bytes != null ? bytes(t.max_bytes) : null, t.max_files != null ? `${t.max_files} ${t.max_files === 1 ? 'file' : 'files'}` : null]
    .filter(Boolean);
  const parts = [most.length ? `at most ${most.join(', ')}` : null, t.allowed_patterns?.length ? `${t.allowed_patterns.join(', ')} only` : null].filter(Boolean);
  return parts.length ? parts.join('; ') : 'none';
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
