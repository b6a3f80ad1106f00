// Shows the API's problem details `errors` next to the fields they name. A field's error element is
// `<field>-error` and its input `<field>` (the JSON name), so the mapping needs no table.
export function clearFieldErrors(form) {
  for (const error of form.querySelectorAll('.field-error')) error.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  form.querySelector('.form-error')?.replaceChildren();
}

/** Returns false when the form has no such field (the caller then shows the message for the whole form). */
export function fieldError(form, field, message) {
  const error = form.querySelector(`#${CSS.escape(field)}-error`);
  const input = form.querySelector(`#${CSS.escape(field)}`);
  if (!error || !input) return false;
  error.textContent = message;
  input.setAttribute('aria-invalid', 'true');
  return true;
}

/** Puts every error of an ApiError where it belongs and focuses the first field at fault. */
export function showProblem(form, apiError) {
  let first = null, shown = false;
  for (const [field, message] of Object.entries(apiError.fieldErrors)) {
    if (fieldError(form, field, message)) first ??= form.querySelector(`#${CSS.escape(field)}`);
    else form.querySelector('.form-error')?.append(message, ' ');
    shown = true;
  }
  if (!shown) form.querySelector('.form-error')?.append(apiError.message);
  (first ?? form.querySelector('.form-error'))?.focus();
}
