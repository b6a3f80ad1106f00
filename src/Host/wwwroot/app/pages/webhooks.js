import { h, show, notice, announce, dataTable } from '../dom.js';
import { dateTime } from '../format.js';
import { copyButton } from './tokens.js';
import { clearFieldErrors, showProblem } from './form-errors.js';

// The types a webhook can ask for (docs/api-extensions.md); each delivery is a CloudEvent of type org.inlet.<type>.
const EVENTS = [
  ['upload.routed', 'File routed'], ['upload.review_needed', 'Review needed'], ['upload.rejected', 'Upload rejected'],
  ['upload.blocked', 'Blocked by malware scan'], ['table.loaded', 'Table loaded'], ['table.refused', 'Table refused'],
  ['token.expiring', 'Token expires in 3 days'], ['token.expired', 'Token expired'], ['token.exhausted', 'Token used up'],
];

// The signing secret just created: the only copy in the page, kept here (never in the DOM) and dropped by leave().
let fresh = null;

export function leave() { fresh = null; }

// Redrawn in place after adding or deleting (not through the router, whose leave() would drop the fresh secret).
let redraw = null;

export async function render(context) {
  redraw = () => render(context);
  const { wsid, api, params } = context;
  const hooks = await api.webhooks();
  const selected = params.get('id');
  const deliveries = selected && hooks.some(w => w.id === selected) ? await api.webhookDeliveries(selected) : null;
  const base = `#/ws/${encodeURIComponent(wsid)}/webhooks`;
  const columns = [
    { label: 'URL', cell: w => h('code', { class: 'hook-url' }, w.url), className: 'wrap' },
    { label: 'Events', cell: w => w.events.join(', '), className: 'wrap' },
    { label: 'State', cell: w => h('span', { class: `hook-state state-${w.state}` }, w.state, w.disabled_reason ? ` — ${w.disabled_reason}` : '') },
    { label: 'Signing', cell: w => signing(w) },
    { label: 'Created', cell: w => `${dateTime(w.created_at)} by ${w.created_by}` },
    {
      label: 'Actions', cell: w => h('span', { class: 'actions' },
        h('a', { href: `${base}?id=${encodeURIComponent(w.id)}` }, 'Deliveries'), ' ',
        w.state === 'disabled' ? [h('button', { type: 'button', 'aria-label': `Enable webhook ${w.url}`, onclick: () => enable(api, w) }, 'Enable'), ' '] : null,
        h('button', { type: 'button', 'aria-label': `Rotate the signing secret of webhook ${w.url}`, onclick: () => rotate(api, w) }, 'Rotate secret'), ' ',
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete webhook ${w.url}`, onclick: () => remove(api, w) }, 'Delete')),
    },
  ];
  show(h('h1', {}, 'Webhooks'),
    h('p', {}, 'Inlet posts a signed CloudEvent to each webhook when something it asked for happens in this workspace.'),
    fresh ? notice('warning', h('strong', {}, 'Copy the signing secret now. '),
      'It is shown only once; the receiver checks each delivery\'s webhook-signature header with it (Standard Webhooks).', ' ',
      copyButton('Copy signing secret', 'copy-secret', () => fresh)) : null,
    hooks.length === 0 ? h('p', { class: 'empty' }, 'No webhooks yet.')
      : dataTable('Webhooks of this workspace', columns, hooks.map(w => ({ data: w, attributes: { 'data-id': w.id, 'data-state': w.state } })), { className: 'webhooks' }),
    deliveries ? deliveryList(hooks.find(w => w.id === selected), deliveries) : null,
    createForm(api));
}

function createForm(api) {
  const form = h('form', { class: 'panel', id: 'webhook-form', novalidate: true },
    h('h2', {}, 'Add a webhook'),
    h('div', { class: 'field' }, h('label', { for: 'url' }, 'URL'),
      h('input', { id: 'url', name: 'url', type: 'url', placeholder: 'https://…', autocomplete: 'off', 'aria-describedby': 'url-error' }),
      h('span', { id: 'url-error', class: 'field-error', role: 'alert' })),
    h('fieldset', { id: 'events', tabindex: -1, 'aria-describedby': 'events-error' }, h('legend', {}, 'Events'),
      EVENTS.map(([value, label]) => h('label', { class: 'checkbox' }, h('input', { type: 'checkbox', name: 'events', value }), ` ${label} (${value})`)),
      h('span', { id: 'events-error', class: 'field-error', role: 'alert' })),
    h('p', { class: 'form-error', tabindex: -1 }),
    h('button', { type: 'submit', class: 'primary' }, 'Add webhook'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearFieldErrors(form);
    const body = { url: form.url.value.trim(), events: [...form.querySelectorAll('input[name=events]:checked')].map(c => c.value) };
    try {
      const created = await api.createWebhook(body);
      fresh = created.secret;
      announce('Webhook added. Copy its signing secret now.');
      await redraw();
    } catch (error) {
      if (error.problem) showProblem(form, error); else throw error;
    }
  });
  return form;
}

// Only new events are delivered after enabling: what happened while it was disabled is in the audit trail, not resent.
async function enable(api, hook) {
  await api.enableWebhook(hook.id);
  announce('Webhook enabled. New events are delivered to it again.');
  await redraw();
}

// Standard Webhooks; a webhook from before signs the old way (sha256=…) until its secret is rotated.
function signing(hook) {
  if (hook.signing === 'legacy') return 'legacy (sha256=…): rotate the secret to switch to Standard Webhooks';
  return hook.previous_secret_valid_until && new Date(hook.previous_secret_valid_until) > new Date()
    ? `Standard Webhooks; the previous secret also signs until ${dateTime(hook.previous_secret_valid_until)}`
    : 'Standard Webhooks';
}

// The new secret is shown once, like a new webhook's; a standard secret before it keeps signing for 24 hours.
async function rotate(api, hook) {
  const legacy = hook.signing === 'legacy';
  const question = legacy
    ? `Rotate the secret of ${hook.url}? Deliveries switch to Standard Webhooks signatures at once: update the receiver's check with the new secret.`
    : `Rotate the secret of ${hook.url}? The current secret keeps signing for 24 hours beside the new one.`;
  if (!confirm(question)) return;
  const rotated = await api.rotateWebhookSecret(hook.id);
  fresh = rotated.secret;
  announce('Signing secret rotated. Copy the new secret now.');
  await redraw();
}

async function remove(api, hook) {
  if (!confirm(`Delete the webhook to ${hook.url}? Nothing more is sent to it.`)) return;
  await api.deleteWebhook(hook.id);
  fresh = null;
  announce('Webhook deleted.');
  await redraw();
}

function deliveryList(hook, deliveries) {
  const attempts = d => h('ol', { class: 'attempts' }, d.attempts.map(a =>
    h('li', {}, `${dateTime(a.at)}: ${a.status_code ?? 'no answer'}${a.error ? ` (${a.error})` : ''}, ${a.duration_ms} ms`)));
  const columns = [
    { label: 'Event', cell: d => d.type },
    { label: 'Subject', cell: d => h('code', {}, d.subject) },
    { label: 'Status', cell: d => d.status },
    { label: 'Created', cell: d => dateTime(d.created_at) },
    { label: 'Attempts', cell: attempts, className: 'wrap' },
  ];
  return h('section', { class: 'panel', id: 'deliveries', 'aria-labelledby': 'deliveries-heading' },
    h('h2', { id: 'deliveries-heading' }, `Deliveries to ${hook.url}`),
    deliveries.length === 0 ? h('p', {}, 'Nothing delivered yet.')
      : dataTable('Newest first', columns, deliveries.map(d => ({ data: d, attributes: { 'data-status': d.status, 'data-type': d.type } })), { className: 'deliveries' }));
}
