// The list of actions: server-side filters by status and type, paging back with end_date,
// and a progress bar per row that moves live. Unfinished rows follow their event stream; a
// browser opens at most six connections to one server, so at most MAX_STREAMS rows stream at
// once (running ones first) and the page re-reads the list every RELOAD_MS for the others
// and for new actions.

import { ApiError, follow, getJson } from './api.js';
import { el, isNewer, isRunning, progressBar, setProgress, statusBadge, timeElement } from './ui.js';

const PAGE_SIZE = 25;
const MAX_STREAMS = 4;
const RELOAD_MS = 5000;

/** The list view inside `root` (the section of index.html). */
export function createListView(root) {
  const $ = (selector) => root.querySelector(selector);
  const body = $('#actions-body');
  const status = $('#filter-status');
  const type = $('#filter-type');
  const older = $('#older');
  const newest = $('#newest');
  const error = $('#list-error');
  const empty = $('#list-empty');

  /** id → { action, tr, cells, bar, stream: AbortController | null } */
  const rows = new Map();
  let endDate = null; // null: the newest page
  let lastCreated = null;
  let visible = false;
  let timer = null;
  let loading = null;

  status.addEventListener('change', () => restart());
  type.addEventListener('change', () => restart());
  $('#refresh').addEventListener('click', () => load());
  older.addEventListener('click', () => {
    if (!lastCreated) return;
    endDate = lastCreated;
    load(true);
  });
  newest.addEventListener('click', () => restart());

  function restart() {
    endDate = null;
    load(true);
  }

  async function load(replace = false) {
    clearTimeout(timer);
    if (loading) loading.abort();
    const controller = new AbortController();
    loading = controller;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (status.value) query.set('status', status.value);
    if (type.value) query.set('type', type.value);
    if (endDate) query.set('end_date', endDate);
    try {
      const page = await getJson(`/v1/async-actions?${query}`, { signal: controller.signal });
      if (!visible || loading !== controller) return;
      error.textContent = '';
      render(page, replace);
    } catch (e) {
      if (controller.signal.aborted || !visible) return;
      error.textContent = e instanceof ApiError
        ? `Could not load the actions: ${e.message}`
        : `Could not reach the server: ${e.message}`;
    } finally {
      if (loading === controller) loading = null;
    }
    if (visible) timer = setTimeout(() => load(), RELOAD_MS);
  }

  function render(page, replace) {
    if (replace) clearRows();
    const seen = new Set();
    const order = [];
    for (const action of page.async_actions) {
      seen.add(action.id);
      let row = rows.get(action.id);
      if (!row) {
        row = createRow(action);
        rows.set(action.id, row);
      }
      update(row, action);
      order.push(row.tr);
    }
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        stopStream(row);
        rows.delete(id);
      }
    }
    body.replaceChildren(...order);
    const items = page.async_actions;
    lastCreated = items.length ? items[items.length - 1].created_at : null;
    older.disabled = !page.has_more || !lastCreated;
    newest.disabled = endDate === null;
    empty.hidden = items.length > 0;
    syncStreams();
  }

  function createRow(action) {
    const link = el('a', { href: `#/actions/${encodeURIComponent(action.id)}` }, el('code', {}, action.id));
    const bar = progressBar(`Progress of ${action.id}`);
    const cells = {
      type: el('td', {}, action.type),
      status: el('td', {}),
      created: el('td', {}, timeElement(action.created_at)),
    };
    const tr = el(
      'tr',
      { 'data-id': action.id },
      el('td', {}, link),
      cells.type,
      cells.status,
      cells.created,
      el('td', { class: 'progress-col' }, bar),
    );
    return { action: null, tr, cells, bar, stream: null };
  }

  function update(row, action) {
    if (!isNewer(action, row.action)) return;
    row.action = { ...row.action, ...action };
    row.tr.dataset.status = action.status;
    row.cells.status.replaceChildren(statusBadge(action.status));
    setProgress(row.bar, action.progress, action.status);
  }

  // Streams the first MAX_STREAMS unfinished rows, running ones before queued ones.
  function syncStreams() {
    const unfinished = [...rows.values()].filter((row) => isRunning(row.action.status));
    unfinished.sort((a, b) => rank(a) - rank(b));
    const chosen = new Set(unfinished.slice(0, MAX_STREAMS));
    for (const row of rows.values()) {
      if (chosen.has(row)) startStream(row);
      else stopStream(row);
    }
  }

  function rank(row) {
    return row.action.status === 'IN_PROGRESS' ? 0 : 1;
  }

  function startStream(row) {
    if (row.stream) return;
    const controller = new AbortController();
    row.stream = controller;
    follow(row.action.id, (action) => update(row, action), controller.signal)
      .then((finished) => {
        if (row.stream === controller) row.stream = null;
        // Its slot goes to the next unfinished row.
        if (finished && visible) syncStreams();
      })
      .catch(() => {
        // The next reload shows what became of it (gone, or credentials refused).
        if (row.stream === controller) row.stream = null;
      });
  }

  function stopStream(row) {
    if (row.stream) row.stream.abort();
    row.stream = null;
  }

  function clearRows() {
    for (const row of rows.values()) stopStream(row);
    rows.clear();
    body.replaceChildren();
  }

  return {
    show() {
      root.hidden = false;
      visible = true;
      load();
    },
    hide() {
      root.hidden = true;
      visible = false;
      clearTimeout(timer);
      if (loading) loading.abort();
      for (const row of rows.values()) stopStream(row);
    },
    reset() {
      clearRows();
      endDate = null;
      status.value = '';
      type.value = '';
    },
  };
}
