// The dashboard end to end, in Debian's headless Chromium driven by playwright-core, against
// a running Conveyor (started by scripts/dashboard-test.sh):
//   node e2e.mjs BASE_URL APP_ID APP_TOKEN
// Environment: CHROMIUM (default /usr/bin/chromium), SCREENSHOT (the detail view's PNG; the
// list's goes beside it as *-list.png), ROWS (rows of the watched import, default 50000).
// It signs in through the page (a wrong token first), submits a customers CSV import through
// the API, watches the import's progress bar reach 100% and checks it was seen in
// between, opens the detail view and checks the result and its failures, downloads a bulk
// update's report, cancels a running import, filters the list, and signs out. Exits non-zero
// on the first failure, or when the page logged an error (a CSP violation, a script error).

import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { chromium } from 'playwright-core';

const [baseUrl, appId, appToken] = process.argv.slice(2);
if (!baseUrl || !appId || !appToken) {
  console.error('usage: node e2e.mjs BASE_URL APP_ID APP_TOKEN');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const screenshot = resolve(process.env.SCREENSHOT || 'dashboard-e2e.png');
const listScreenshot = screenshot.replace(/(\.png)?$/, '-list.png');
const rows = Number(process.env.ROWS || 50000);
// Rows (counted from 1, as the result counts them) left without a source_id: they fail.
const badRows = [7, Math.floor(rows / 2), rows - 1];
const TIMEOUT = 180_000;

// The API, as any client calls it.

async function api(path, init = {}) {
  const headers = { 'X-App-Id': appId, 'X-App-Token': appToken, ...(init.headers ?? {}) };
  const response = await fetch(new URL(path, baseUrl), { ...init, headers });
  const text = await response.text();
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

function customersCsv(count, prefix) {
  const lines = ['Source_id,Name,Email,tier'];
  for (let row = 1; row <= count; row++) {
    const source = badRows.includes(row) ? '' : `${prefix}-${row}`;
    lines.push(`${source},Customer ${row},c${row}@example.com,${row % 2 ? 'gold' : 'silver'}`);
  }
  return `${lines.join('\n')}\n`;
}

async function importCustomers(count, prefix) {
  const form = new FormData();
  form.append('file', new Blob([customersCsv(count, prefix)], { type: 'text/csv' }), `${prefix}.csv`);
  const { async_action_id: id } = await api('/v1/customers/importCSV', { method: 'POST', body: form });
  return id;
}

async function bulkUpdate(customers) {
  const { async_action_id: id } = await api('/v1/customers/bulk/async', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(customers),
  });
  return id;
}

// Checks.

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function step(name, body) {
  const started = Date.now();
  try {
    await body();
  } catch (error) {
    error.message = `${name}: ${error.message}`;
    throw error;
  }
  console.log(`ok   ${name} (${Date.now() - started} ms)`);
}

/** Waits until `page`'s `predicate(arg)` is truthy, failing with `what`. */
async function until(page, what, predicate, arg, timeout = 30_000) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 50 });
  } catch {
    throw new Error(`timed out waiting for ${what}`);
  }
}

const row = (id) => `#actions-body tr[data-id="${id}"]`;
const rowText = (page, id) => page.locator(row(id)).innerText();

// Records every value each row's progress bar shows, from the page's first moment, so a bar
// that moves between two of the test's looks is still seen.
function recordProgress() {
  window.__progress = {};
  const record = (bar) => {
    const id = bar.closest('tr[data-id]')?.dataset.id;
    if (!id) return;
    const value = Number(bar.getAttribute('aria-valuenow'));
    const seen = (window.__progress[id] ??= []);
    if (seen[seen.length - 1] !== value) seen.push(value);
  };
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver((mutations) => {
      for (const m of mutations) {
        if (m.type === 'attributes') record(m.target);
        for (const node of m.addedNodes ?? []) {
          if (node.querySelectorAll) node.querySelectorAll('[role="progressbar"]').forEach(record);
        }
      }
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
  });
}

async function main() {
  const profile = await mkdtemp(join(tmpdir(), 'conveyor-dashboard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const pageErrors = [];
  let allow401 = false;
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => pageErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      // The browser logs the wrong token's refused sign-in call; that one is expected.
      if (allow401 && /status of 401/.test(message.text())) return;
      pageErrors.push(`console error: ${message.text()}`);
    });
    await page.addInitScript(recordProgress);

    let imported;
    let bulk;
    await step('submit a bulk update through the API', async () => {
      bulk = await bulkUpdate([
        { source_id: 'ann', name: 'Ann' },
        { source_id: 'bob', name: 'Bob', birthdate: '1990-02-30' },
      ]);
    });

    await step('the page asks for credentials', async () => {
      const response = await page.goto(new URL('/dashboard', baseUrl).href);
      check(response.status() === 200, `GET /dashboard: ${response.status()}`);
      check((response.headers()['content-security-policy'] ?? '').includes("connect-src 'self'"), 'no CSP');
      await page.getByLabel('App ID').waitFor();
      await page.getByLabel('App token').waitFor();
    });

    await step('a wrong token is refused with a clear message', async () => {
      allow401 = true;
      await page.getByLabel('App ID').fill(appId);
      await page.getByLabel('App token').fill('not-the-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      const alert = page.locator('#sign-in-error');
      await until(page, 'the 401 message', () => /401 Unauthorized/.test(document.getElementById('sign-in-error').textContent));
      check(/do not match/.test(await alert.innerText()), await alert.innerText());
      check(await page.evaluate(() => sessionStorage.length) === 0, 'a refused key was stored');
      allow401 = false;
    });

    await step('signing in shows the list', async () => {
      await page.getByLabel('App token').fill(appToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator(row(bulk)).waitFor();
      check((await rowText(page, bulk)).includes('CUSTOMERS.BULK_UPDATE'), await rowText(page, bulk));
      check(await page.locator('#session-app-id').innerText() === appId, 'the signed-in app id');
    });

    // Submitted once the page is up, so that the page sees it from its start.
    await step(`a ${rows}-row customers import submitted through the API appears on Refresh`, async () => {
      imported = await importCustomers(rows, 'watched');
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator(row(imported)).waitFor();
      check((await rowText(page, imported)).includes('CUSTOMERS.IMPORT_CSV'), await rowText(page, imported));
    });

    let seen;
    await step("the import's progress bar moves live to 100%", async () => {
      const bar = `${row(imported)} [role="progressbar"]`;
      await until(page, 'the bar at 100%', (selector) => {
        const el = document.querySelector(selector);
        return el && el.getAttribute('aria-valuenow') === '100';
      }, bar, TIMEOUT);
      await until(page, 'status DONE', (selector) => document.querySelector(selector)?.dataset.status === 'DONE', row(imported));
      seen = await page.evaluate((id) => window.__progress[id], imported);
      check(seen.every((v, i) => i === 0 || v >= seen[i - 1]), `progress went down: ${seen}`);
      // Several values in between: one chunk alone would show 99 (the cap before DONE).
      const between = seen.filter((v) => v > 0 && v < 100);
      check(between.length >= 3, `fewer than 3 values between 0 and 100 were seen: ${seen}`);
      check(seen[seen.length - 1] === 100, `ended at ${seen[seen.length - 1]}`);
      console.log(`     progress seen: ${seen.join(' ')}`);
      await page.screenshot({ path: listScreenshot, fullPage: true });
    });

    await step('the detail view shows the result and the failures', async () => {
      await page.locator(`${row(imported)} a`).click();
      await page.locator('#detail-id', { hasText: imported }).waitFor();
      await until(page, 'the result', () => !document.getElementById('result').hidden);
      const message = `${rows - badRows.length} customer(s) imported successfully, ${badRows.length} failed.`;
      const shown = await page.locator('#result-message').innerText();
      check(shown === message, `result message: ${shown}`);
      const fields = await page.locator('#detail-fields').innerText();
      for (const text of ['CUSTOMERS.IMPORT_CSV', 'DONE', 'SUCCESS', `${rows} of ${rows}`]) {
        check(fields.includes(text), `${text} not in the fields: ${fields}`);
      }
      const bar = page.locator('#detail-progress [role="progressbar"]');
      check(await bar.getAttribute('aria-valuenow') === '100', 'the detail bar is not at 100');
      const failures = await page.locator('#failures-table tbody tr').allInnerTexts();
      check(failures.length === badRows.length, `failures: ${failures}`);
      badRows.forEach((n, i) => {
        check(failures[i].includes(String(n)) && failures[i].includes('source_id: property is required'),
          `failure ${i}: ${failures[i]}`);
      });
      check(await page.locator('#cancel').isHidden(), 'a finished action offers Cancel');
      await mkdir(dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: true });
    });

    await step("a bulk update's report downloads with the credentials", async () => {
      await page.getByRole('link', { name: '← All actions' }).click();
      await page.locator(`${row(bulk)} a`).click();
      await page.locator('#detail-id', { hasText: bulk }).waitFor();
      await until(page, 'the report link', () => !document.getElementById('reports').hidden);
      check(await page.locator('#result-message').innerText() === '1 done, 1 failed.', 'bulk summary');
      const errors = await page.locator('#failures-table tbody tr').allInnerTexts();
      check(errors.length === 1 && errors[0].includes('bob'), `errors: ${errors}`);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download report (CSV)' }).click(),
      ]);
      const path = await download.path();
      const csv = await readFile(path, 'utf8');
      check(csv.startsWith('id,found,updated,error\n'), `report: ${csv}`);
      check(csv.includes('ann,false,true,') && csv.includes('bob,false,false,'), `report: ${csv}`);
      check(download.suggestedFilename() === `${bulk}-report.csv`, download.suggestedFilename());
    });

    let cancelled;
    await step('Cancel stops a running import', async () => {
      cancelled = await importCustomers(rows * 2, 'cancelled');
      await page.getByRole('link', { name: '← All actions' }).click();
      await page.locator(`${row(cancelled)} a`).click();
      await page.locator('#detail-id', { hasText: cancelled }).waitFor();
      page.once('dialog', (dialog) => dialog.accept());
      await page.getByRole('button', { name: 'Cancel action' }).click();
      await until(page, 'the cancelled result', () => document.getElementById('result-message').textContent === 'Cancelled.', undefined, TIMEOUT);
      const fields = await page.locator('#detail-fields').innerText();
      check(fields.includes('FAILED'), `fields: ${fields}`);
      check(await page.locator('#cancel').isHidden(), 'Cancel still offered');
    });

    await step('the list filters by status and type on the server', async () => {
      await page.getByRole('link', { name: '← All actions' }).click();
      await page.getByLabel('Status', { exact: true }).selectOption('FAILED');
      await page.locator(row(cancelled)).waitFor();
      await until(page, 'only FAILED rows', () =>
        [...document.querySelectorAll('#actions-body tr')].every((tr) => tr.dataset.status === 'FAILED'));
      check(await page.locator(row(imported)).count() === 0, 'a DONE action under FAILED');
      await page.getByLabel('Status', { exact: true }).selectOption('DONE');
      await page.getByLabel('Type', { exact: true }).selectOption('CUSTOMERS.IMPORT_CSV');
      await page.locator(row(imported)).waitFor();
      await until(page, 'the two filters', () => {
        const trs = [...document.querySelectorAll('#actions-body tr')];
        return trs.length === 1 && trs[0].dataset.status === 'DONE';
      });
      check(await page.locator(row(bulk)).count() === 0, 'a bulk update under CUSTOMERS.IMPORT_CSV');
    });

    await step('signing out forgets the credentials', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByLabel('App ID').waitFor();
      check(await page.evaluate(() => sessionStorage.length) === 0, 'credentials kept');
    });

    check(pageErrors.length === 0, pageErrors.join('\n'));
  } finally {
    if (pageErrors.length) console.error(pageErrors.join('\n'));
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
  console.log(`dashboard screenshots: ${screenshot} ${listScreenshot}`);
}

main().catch((error) => {
  console.error(`FAIL ${error.message}`);
  process.exit(1);
});
