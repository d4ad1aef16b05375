// The dashboard's entry point: signing in and out, and which view the location's hash shows
// (`#/` the list, `#/actions/{id}` one action).

import {
  ApiError, UNAUTHORIZED_EVENT, clearCredentials, credentials, getJson, saveCredentials,
} from './api.js';
import { createDetailView } from './detail.js';
import { createListView } from './list.js';

const signInView = document.getElementById('sign-in-view');
const signInForm = document.getElementById('sign-in-form');
const signInError = document.getElementById('sign-in-error');
const session = document.getElementById('session');
const list = createListView(document.getElementById('list-view'));
const detail = createDetailView(document.getElementById('detail-view'));

signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  signIn();
});
document.getElementById('sign-out').addEventListener('click', () => signOut(''));
window.addEventListener('hashchange', () => route());
window.addEventListener(UNAUTHORIZED_EVENT, () => {
  signOut('The server refused the stored credentials (401 Unauthorized). Sign in again.');
});

route();

async function signIn() {
  const appId = signInForm.elements['app-id'].value.trim();
  const appToken = signInForm.elements['app-token'].value.trim();
  if (!appId || !appToken) {
    signInError.textContent = 'Enter both the app ID and the app token.';
    return;
  }
  const submit = document.getElementById('sign-in-submit');
  submit.disabled = true;
  signInError.textContent = '';
  try {
    // Any authenticated call checks the key; the list is the one the dashboard needs.
    await getJson('/v1/async-actions?limit=1', { creds: { appId, appToken } });
    saveCredentials({ appId, appToken });
    signInForm.reset();
    route();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      signInError.textContent = 'Sign-in failed: this app ID and token do not match a project ' +
        '(401 Unauthorized).';
    } else if (e instanceof ApiError) {
      signInError.textContent = `Sign-in failed: ${e.message} (HTTP ${e.status}).`;
    } else {
      signInError.textContent = `Sign-in failed: cannot reach the server (${e.message}).`;
    }
  } finally {
    submit.disabled = false;
  }
}

function signOut(message) {
  clearCredentials();
  list.reset();
  route();
  signInError.textContent = message;
}

/** Shows the view the hash names, or the sign-in form when there are no credentials. */
function route() {
  const creds = credentials();
  const match = /^#\/actions\/([^/]+)$/.exec(window.location.hash);
  list.hide();
  detail.hide();
  signInView.hidden = Boolean(creds);
  session.hidden = !creds;
  if (!creds) {
    focus('app-id');
    return;
  }
  document.getElementById('session-app-id').textContent = creds.appId;
  if (match) {
    detail.show(decodeURIComponent(match[1]));
    focus('detail-title');
  } else {
    list.show();
    focus('list-title');
  }
}

// Moves focus to the new view's heading, so keyboard and screen-reader users land there.
function focus(id) {
  document.getElementById(id).focus({ preventScroll: true });
}
