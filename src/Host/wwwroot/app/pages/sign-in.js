import { h, show, notice } from '../dom.js';
import { signInConfig, devSignIn, startOidcSignIn } from '../auth.js';
import { fieldError, clearFieldErrors } from './form-errors.js';

export async function render({ params }) {
  const config = await signInConfig();
  const expired = params.get('expired') ? notice('info', 'Your session has ended; sign in again.') : null;

  if (config.sign_in === 'oidc') {
    return show(h('h1', {}, 'Sign in'), expired,
      h('p', {}, 'Inlet uses your organisation\'s sign-in.'),
      h('button', { type: 'button', class: 'primary', onclick: () => startOidcSignIn().catch(e => show(h('h1', {}, 'Sign in'), notice('error', e.message))) }, 'Sign in'));
  }
  if (config.sign_in !== 'development') {
    return show(h('h1', {}, 'Sign in'), notice('error', 'Sign-in is not configured on this server (Auth:Authority).'));
  }

  const user = h('input', { id: 'user', name: 'user', type: 'text', autocomplete: 'username', value: 'alice', 'aria-describedby': 'user-error' });
  const workspaces = h('input', { id: 'workspaces', name: 'workspaces', type: 'text', value: 'ws-demo', 'aria-describedby': 'workspaces-hint workspaces-error' });
  const form = h('form', { novalidate: true, class: 'stacked' },
    h('div', { class: 'field' }, h('label', { for: 'user' }, 'User'), user, h('p', { id: 'user-error', class: 'field-error' })),
    h('div', { class: 'field' }, h('label', { for: 'workspaces' }, 'Workspaces'),
      h('p', { id: 'workspaces-hint', class: 'hint' }, 'Workspace ids you are a member of, separated by commas or spaces.'),
      workspaces, h('p', { id: 'workspaces-error', class: 'field-error' })),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));

  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearFieldErrors(form);
    const list = workspaces.value.split(/[\s,]+/).filter(Boolean);
    const problem = await devSignIn(user.value.trim(), list);
    if (problem) {
      const errors = problem.errors ?? { user: [problem.detail ?? 'Sign-in failed.'] };
      for (const [field, messages] of Object.entries(errors)) fieldError(form, field, [].concat(messages).join(' '));
      return;
    }
    location.hash = list.length === 1 ? `#/ws/${encodeURIComponent(list[0])}` : '#/';
  });

  show(h('h1', {}, 'Sign in'), expired,
    notice('info', 'Development sign-in: choose any user and the workspaces they belong to. It exists only in the Development environment.'),
    form);
}
