// The same JSON API and bearer authorisation as every other client (../shared/api.md).
import { session, signOut } from './auth.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? problem?.title ?? `The server answered ${status}.`);
    this.status = status;
    this.problem = problem ?? {};
  }

  /** Field errors as { field: "message" }, from the problem details' `errors`. */
  get fieldErrors() {
    const errors = this.problem.errors ?? {};
    return Object.fromEntries(Object.entries(errors).map(([field, messages]) => [field, [].concat(messages).join(' ')]));
  }
}

export async function request(path, { method = 'GET', body } = {}) {
  const s = session();
  const headers = { accept: 'application/json' };
  if (s) headers.authorization = `Bearer ${s.access_token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    signOut();
    location.hash = '#/sign-in?expired=1';
  }
  if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
  return response;
}

export async function getJson(path) { return (await request(path)).json(); }

export function workspaceApi(wsid) {
  const base = `/api/workspaces/${encodeURIComponent(wsid)}`;
  return {
    tokens: () => getJson(`${base}/upload-tokens`),
    issueToken: body => request(`${base}/upload-tokens`, { method: 'POST', body }).then(r => r.json()),
    revokeToken: tid => request(`${base}/upload-tokens/${encodeURIComponent(tid)}`, { method: 'DELETE' }),
    tokenEvents: tid => getJson(`${base}/upload-tokens/${encodeURIComponent(tid)}/events`),
    audit: () => getJson(`${base}/audit`),
    // One page of the flat audit trail: { entries, next } (docs/api-extensions.md, issue #17).
    auditPage: query => getJson(`${base}/audit?${query}`),
    auditCsv: query => request(`${base}/audit?${query}${query ? '&' : ''}format=csv`).then(r => r.blob()),
    inbox: () => getJson(`${base}/inbox`),
    files: folder => getJson(`${base}/files${folder ? `?folder=${encodeURIComponent(folder)}` : ''}`),
    fileContent: path => request(`${base}/files/content?path=${encodeURIComponent(path)}`),
    uploads: () => getJson(`${base}/uploads`),
    settings: () => getJson(`${base}/settings`),
    saveSettings: body => request(`${base}/settings`, { method: 'PUT', body }).then(r => r.json()),
    approve: id => request(`${base}/inbox/${encodeURIComponent(id)}/approve`, { method: 'POST' }),
    reject: (id, reason) => request(`${base}/inbox/${encodeURIComponent(id)}/reject`, { method: 'POST', body: { reason } }),
    tables: () => getJson(`${base}/tables`),
    databaseLogin: () => getJson(`${base}/database/credentials`).catch(error => { if (error.status === 404) return null; throw error; }),
    issueDatabaseLogin: () => request(`${base}/database/credentials`, { method: 'POST' }).then(r => r.json()),
    revokeDatabaseLogin: () => request(`${base}/database/credentials`, { method: 'DELETE' }),
    webhooks: () => getJson(`${base}/webhooks`),
    createWebhook: body => request(`${base}/webhooks`, { method: 'POST', body }).then(r => r.json()),
    enableWebhook: id => request(`${base}/webhooks/${encodeURIComponent(id)}/enable`, { method: 'POST' }).then(r => r.json()),
    rotateWebhookSecret: id => request(`${base}/webhooks/${encodeURIComponent(id)}/rotate-secret`, { method: 'POST' }).then(r => r.json()),
    deleteWebhook: id => request(`${base}/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    webhookDeliveries: id => getJson(`${base}/webhooks/${encodeURIComponent(id)}/deliveries`),
    rows: (name, limit) => getJson(`${base}/tables/${encodeURIComponent(name)}/rows?limit=${limit}`),
    // The spreadsheet-safe CSV (docs/adr/0033): a text value that would run as a formula starts with an apostrophe.
    exportCsv: name => request(`${base}/tables/${encodeURIComponent(name)}/export?format=csv`).then(r => r.blob()),
    rejects: (name, after) => getJson(`${base}/tables/${encodeURIComponent(name)}/rejects?limit=100${after ? `&after=${after}` : ''}`),
  };
}
