// One action: every field, a live progress bar, the result with its failures as a table and
// its report links, and a Cancel button while it is queued or running. The action comes from
// its event stream, which sends it as it is, then each change, until it finishes.

import { ApiError, actionPath, follow, request } from './api.js';
import {
  el, formatDuration, isNewer, isRunning, progressBar, setProgress, statusBadge, timeElement,
} from './ui.js';

/** Failure rows shown at most; the result itself holds at most a few hundred. */
const MAX_FAILURE_ROWS = 1000;

/** The detail view inside `root` (the section of index.html). */
export function createDetailView(root) {
  const $ = (selector) => root.querySelector(selector);
  const cancelButton = $('#cancel');
  const error = $('#detail-error');
  const notice = $('#detail-notice');
  const bar = progressBar('Progress');
  $('#detail-progress').append(bar);

  let current = null; // the action shown
  let stream = null; // AbortController of its event stream

  cancelButton.addEventListener('click', () => cancel());

  function render(action) {
    if (current && current.id === action.id && !isNewer(action, current)) return;
    // The live fields stay when a plain answer (the cancel's) follows a live one.
    current = { ...current, ...action };
    $('#detail-body').hidden = false;
    bar.setAttribute('aria-label', `Progress of ${current.id}`);
    setProgress(bar, current.progress, current.status);
    cancelButton.hidden = !isRunning(current.status);
    renderFields(current);
    renderResult(current);
  }

  function renderFields(action) {
    const rows = [
      ['ID', el('code', {}, action.id)],
      ['Type', action.type],
      ['Status', statusBadge(action.status)],
      ['Operation status', action.operation_status],
      ['Progress', `${action.progress}%`],
    ];
    if (action.total_items !== undefined) {
      rows.push(['Items processed', `${action.processed_items} of ${action.total_items}`]);
    }
    rows.push(
      ['Created', timeElement(action.created_at)],
      ['Updated', timeElement(action.updated_at)],
      ['Processing time', formatDuration(action.processing_time)],
      ['Request ID', el('code', {}, action.request_id)],
    );
    $('#detail-fields').replaceChildren(
      ...rows.flatMap(([name, value]) => [el('dt', {}, name), el('dd', {}, value)]),
    );
  }

  function renderResult(action) {
    const result = action.result;
    const section = $('#result');
    section.hidden = !result;
    if (!result) return;
    $('#result-message').textContent = summary(result);
    $('#result-json').textContent = JSON.stringify(result, null, 2);
    renderReports(action.id, result);
    renderFailures(result.failed ?? result.errors);
  }

  function renderReports(id, result) {
    const reports = Array.isArray(result.reports) ? result.reports : [];
    const box = $('#reports');
    box.hidden = reports.length === 0;
    const items = reports.map((url, i) => {
      const button = el('button', { type: 'button', class: 'secondary' },
        reports.length > 1 ? `Download report ${i + 1} (CSV)` : 'Download report (CSV)');
      button.addEventListener('click', () => download(url, `${id}-report${i ? `-${i + 1}` : ''}.csv`, button));
      return el('li', {}, button, ' ', el('code', { class: 'url' }, url));
    });
    const till = result.reports_available_till
      ? el('p', { class: 'hint' }, 'Available until ', timeElement(result.reports_available_till), '.')
      : null;
    box.replaceChildren(el('h4', {}, 'Report'), el('ul', {}, ...items), till ?? '');
  }

  function renderFailures(list) {
    const section = $('#failures');
    const failures = Array.isArray(list) ? list : [];
    section.hidden = failures.length === 0;
    if (!failures.length) return;
    const columns = [];
    for (const item of failures) {
      for (const key of Object.keys(item ?? {})) if (!columns.includes(key)) columns.push(key);
    }
    const table = $('#failures-table');
    table.tHead.rows[0].replaceChildren(...columns.map((c) => el('th', { scope: 'col' }, c)));
    const shown = failures.slice(0, MAX_FAILURE_ROWS);
    table.tBodies[0].replaceChildren(
      ...shown.map((item) => el('tr', {}, ...columns.map((c) => el('td', {}, cell(item?.[c]))))),
    );
    $('#failures-note').textContent = failures.length > shown.length
      ? `The first ${shown.length} of ${failures.length} failures.`
      : `${failures.length} failure${failures.length === 1 ? '' : 's'}.`;
  }

  async function download(url, filename, button) {
    button.disabled = true;
    error.textContent = '';
    try {
      // The link is absolute under the server's public URL; fetch its path from this origin.
      const parsed = new URL(url, window.location.href);
      const response = await request(parsed.pathname + parsed.search);
      const href = URL.createObjectURL(await response.blob());
      const link = el('a', { href, download: filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(href), 60000);
    } catch (e) {
      error.textContent = `Could not download the report: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  }

  async function cancel() {
    if (!current || !window.confirm(`Cancel action ${current.id}?`)) return;
    cancelButton.disabled = true;
    error.textContent = '';
    try {
      const response = await request(actionPath(current.id, '/cancel'), { method: 'POST' });
      const action = await response.json();
      notice.textContent = response.status === 202
        ? 'Cancel requested: the action stops at its next chunk boundary.'
        : 'The action was cancelled.';
      render(action);
    } catch (e) {
      error.textContent = `Could not cancel: ${e.message}`;
    } finally {
      cancelButton.disabled = false;
    }
  }

  function open(id) {
    stop();
    current = null;
    $('#detail-id').textContent = id;
    $('#detail-body').hidden = true;
    $('#result').hidden = true;
    cancelButton.hidden = true;
    error.textContent = '';
    notice.textContent = 'Loading…';
    const controller = new AbortController();
    stream = controller;
    follow(id, (action) => {
      if (stream !== controller) return;
      if (notice.textContent === 'Loading…') notice.textContent = '';
      render(action);
    }, controller.signal).catch((e) => {
      if (stream !== controller) return;
      notice.textContent = '';
      error.textContent = e instanceof ApiError && e.status === 404
        ? `No action ${id} in this project.`
        : `Could not load the action: ${e.message}`;
    });
  }

  function stop() {
    if (stream) stream.abort();
    stream = null;
  }

  return {
    show(id) {
      root.hidden = false;
      open(id);
    },
    hide() {
      root.hidden = true;
      stop();
      current = null;
    },
  };
}

/** The result's message, else its counts. */
function summary(result) {
  if (typeof result.message === 'string') return result.message;
  const parts = [];
  if (result.done_count !== undefined) parts.push(`${result.done_count} done`);
  if (result.failed_count !== undefined) parts.push(`${result.failed_count} failed`);
  return parts.length ? `${parts.join(', ')}.` : 'Finished.';
}

function cell(value) {
  if (value === null || value === undefined) return '—';
  if (value === '') return '(empty)';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
