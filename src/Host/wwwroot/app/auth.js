// Who is signed in. The bearer token lives in sessionStorage: it is gone when the tab closes and is
// sent only to this origin's API. Development signs in through POST /api/dev/sign-in; production uses
// the platform's OpenID Connect provider (authorization code + PKCE, a public client: no secret here).
const SESSION_KEY = 'inlet.session';
const OIDC_PENDING_KEY = 'inlet.oidc';

let configPromise;
export function signInConfig() {
  configPromise ??= fetch('/api/web/config').then(r => r.json());
  return configPromise;
}

function jwtClaims(token) {
  try {
    const payload = atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(payload, c => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

function workspacesOf(claims) {
  const ws = claims.ws;
  if (Array.isArray(ws)) return ws;
  if (typeof ws === 'string' && ws.startsWith('[')) { try { return JSON.parse(ws); } catch { return []; } }
  return ws ? [ws] : [];
}

export function session() {
  const stored = sessionStorage.getItem(SESSION_KEY);
  if (!stored) return null;
  const s = JSON.parse(stored);
  if (s.expires_at && s.expires_at * 1000 < Date.now()) { signOut(); return null; }
  return s;
}

function keep(accessToken) {
  const claims = jwtClaims(accessToken);
  const s = { access_token: accessToken, user: claims.sub ?? claims.preferred_username ?? 'signed in',
              workspaces: workspacesOf(claims), expires_at: claims.exp ?? null };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
  return s;
}

export function signOut() { sessionStorage.removeItem(SESSION_KEY); }

/** Development only: returns null on success, else the API's problem details. */
export async function devSignIn(user, workspaces) {
  const response = await fetch('/api/dev/sign-in', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, workspaces }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) return body;
  keep(body.access_token);
  return null;
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText() { return base64Url(crypto.getRandomValues(new Uint8Array(32))); }

async function discovery(authority) {
  const response = await fetch(`${authority}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`The identity provider's discovery document could not be read (${response.status}).`);
  return response.json();
}

function redirectUri() { return `${location.origin}/`; }

export async function startOidcSignIn() {
  const config = await signInConfig();
  const metadata = await discovery(config.authority);
  const verifier = randomText(), state = randomText();
  const challenge = base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(OIDC_PENDING_KEY, JSON.stringify({ verifier, state, returnTo: location.hash }));
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code', client_id: config.client_id, redirect_uri: redirectUri(), scope: config.scope,
    state, code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** Completes an OIDC redirect if this page load is one; returns the hash to go on to, or null. */
export async function completeOidcSignIn() {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return null;
  const pending = JSON.parse(sessionStorage.getItem(OIDC_PENDING_KEY) ?? 'null');
  sessionStorage.removeItem(OIDC_PENDING_KEY);
  // The code must not stay in the address bar or the history.
  history.replaceState(null, '', '/');
  if (params.has('error')) throw new Error(`Sign-in failed: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || pending.state !== params.get('state')) throw new Error('Sign-in failed: the answer does not belong to this sign-in. Try again.');
  const config = await signInConfig();
  const metadata = await discovery(config.authority);
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
      client_id: config.client_id, code_verifier: pending.verifier,
    }),
  });
  const tokens = await response.json().catch(() => ({}));
  if (!response.ok || !tokens.access_token) throw new Error(`Sign-in failed: ${tokens.error_description ?? tokens.error ?? response.status}`);
  keep(tokens.access_token);
  return pending.returnTo || '#/';
}
