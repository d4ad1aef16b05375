// Small DOM helpers shared by the views. Text always goes in through textContent, never as
// HTML, so nothing an action carries can become markup.

/** An element with attributes (`class`, `aria-*`, …) and children (nodes or text). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Whether an action with this status can still change. */
export function isRunning(status) {
  return status === 'ENQUEUED' || status === 'IN_PROGRESS';
}

/** A status badge. */
export function statusBadge(status) {
  return el('span', { class: `status status-${String(status).toLowerCase()}` }, status);
}

/** A progress bar (`role="progressbar"`), labelled for assistive technology. */
export function progressBar(label) {
  const fill = el('div', { class: 'fill' });
  const text = el('span', { class: 'pct', 'aria-hidden': 'true' }, '0%');
  const bar = el(
    'div',
    {
      class: 'bar',
      role: 'progressbar',
      'aria-label': label,
      'aria-valuemin': 0,
      'aria-valuemax': 100,
      'aria-valuenow': 0,
    },
    el('div', { class: 'track' }, fill),
    text,
  );
  return bar;
}

/** Shows `progress` (0–100) on a bar made by `progressBar`, coloured by `status`. */
export function setProgress(bar, progress, status) {
  const value = Math.max(0, Math.min(100, Number(progress) || 0));
  bar.setAttribute('aria-valuenow', String(value));
  bar.setAttribute('aria-valuetext', `${value}%, ${status}`);
  bar.dataset.status = status;
  // CSSOM, not a style attribute: the Content-Security-Policy allows only the former.
  bar.querySelector('.fill').style.width = `${value}%`;
  bar.querySelector('.pct').textContent = `${value}%`;
}

/** `2026-11-28 15:52:48` in the browser's time zone, inside a `<time>` with the ISO value. */
export function timeElement(iso) {
  return el('time', { datetime: iso, title: iso }, formatDate(iso));
}

function formatDate(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A duration in milliseconds, readably. */
export function formatDuration(ms) {
  const n = Number(ms) || 0;
  if (n < 1000) return `${n} ms`;
  if (n < 60000) return `${(n / 1000).toFixed(1)} s`;
  const minutes = Math.floor(n / 60000);
  return `${minutes} min ${Math.round((n % 60000) / 1000)} s`;
}

/** Whether `next` is at least as recent as `current` (two versions of one action). */
export function isNewer(next, current) {
  if (!current) return true;
  if (next.updated_at !== current.updated_at) return next.updated_at > current.updated_at;
  return (next.progress ?? 0) >= (current.progress ?? 0);
}
