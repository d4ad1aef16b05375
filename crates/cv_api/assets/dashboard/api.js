// The dashboard's only way to the server: the public /v1 API with the app key the user typed,
// kept in this tab's sessionStorage and sent as X-App-Id / X-App-Token on every call.
// EventSource cannot send headers, so event streams are read with fetch() and a stream reader.

const ID_KEY = 'conveyor.dashboard.appId';
const TOKEN_KEY = 'conveyor.dashboard.appToken';

/** The stored credentials, or null. */
export function credentials() {
  const appId = sessionStorage.getItem(ID_KEY);
  const appToken = sessionStorage.getItem(TOKEN_KEY);
  return appId && appToken ? { appId, appToken } : null;
}

/** Keeps the credentials for this tab. */
export function saveCredentials({ appId, appToken }) {
  sessionStorage.setItem(ID_KEY, appId);
  sessionStorage.setItem(TOKEN_KEY, appToken);
}

/** Forgets the credentials. */
export function clearCredentials() {
  sessionStorage.removeItem(ID_KEY);
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer other than 2xx, with the API's error body when it sent one. */
export class ApiError extends Error {
  constructor(status, body) {
    const message = body && typeof body.message === 'string' ? body.message : `HTTP ${status}`;
    const details = body && typeof body.details === 'string' ? body.details : '';
    super(details ? `${message}: ${details}` : message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** Fired on `window` when the stored credentials are refused (401) during a session. */
export const UNAUTHORIZED_EVENT = 'conveyor:unauthorized';

function authHeaders(creds) {
  return { 'X-App-Id': creds.appId, 'X-App-Token': creds.appToken };
}

async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy's page, say): the status alone tells what happened.
  }
  return new ApiError(response.status, body);
}

/**
 * Calls the API and returns the response, throwing ApiError unless it is 2xx. `creds` (for
 * signing in) replaces the stored credentials, and a 401 then does not end the session.
 */
export async function request(path, { method = 'GET', signal, creds, accept } = {}) {
  const using = creds ?? credentials();
  if (!using) throw new ApiError(401, { message: 'Unauthorized', details: 'Not signed in.' });
  const headers = authHeaders(using);
  if (accept) headers.Accept = accept;
  const response = await fetch(path, { method, headers, signal, cache: 'no-store' });
  if (response.ok) return response;
  const error = await errorOf(response);
  if (response.status === 401 && !creds) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  throw error;
}

/** Calls the API and returns its JSON answer. */
export async function getJson(path, options) {
  const response = await request(path, options);
  return response.json();
}

/** The path of one action's endpoints. */
export function actionPath(id, rest = '') {
  return `/v1/async-actions/${encodeURIComponent(id)}${rest}`;
}

/**
 * Follows one action's event stream, calling `onAction(action, eventName)` for each event,
 * until the action finishes (resolves true) or `signal` aborts (resolves false). A stream
 * that breaks (network, server restart) is opened again after a growing pause; a 4xx other
 * than 429 (unknown action, credentials refused) rejects with its ApiError.
 */
export async function follow(id, onAction, signal) {
  let pause = 1000;
  while (!signal.aborted) {
    try {
      const response = await request(actionPath(id, '/events'), {
        signal,
        accept: 'text/event-stream',
      });
      const finished = await readEvents(response.body, signal, (name, data) => {
        pause = 1000;
        onAction(JSON.parse(data), name);
      });
      if (finished) return true;
    } catch (error) {
      if (signal.aborted) return false;
      if (error instanceof ApiError && error.status < 500 && error.status !== 429) throw error;
    }
    await sleep(pause, signal);
    pause = Math.min(pause * 2, 15000);
  }
  return false;
}

/** Reads Server-Sent Events from `body`; true once a `finished` event was handled. */
async function readEvents(body, signal, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const cancel = () => reader.cancel().catch(() => {});
  signal.addEventListener('abort', cancel, { once: true });
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseEvent(block);
        if (!event) continue;
        onEvent(event.name, event.data);
        if (event.name === 'finished') return true;
      }
    }
  } finally {
    signal.removeEventListener('abort', cancel);
    cancel();
  }
}

/** One event block: its name (default `message`) and data lines; null for comments only. */
function parseEvent(block) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { name, data: data.join('\n') } : null;
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
