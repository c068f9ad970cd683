// Helpers of the end-to-end tests: a `kith demo` of our own (free port, temp folder, small warehouse), one chromium
// (Debian's, driven by playwright-core; no browser is downloaded), screenshots, and an axe check.
import { spawn, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB = resolve(here, '..');
export const REPO = resolve(WEB, '..');
export const KITH = process.env.KITH_BIN ?? join(REPO, 'build', 'kith');
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const SHOTS = join(here, 'screenshots');
export const PROFILES = Number(process.env.KITH_E2E_PROFILES ?? 2000);

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Starts `kith demo` in a new temp folder; resolves once it serves. */
export async function startKith() {
  if (!existsSync(KITH)) throw new Error(`no kith binary at ${KITH} (build it, or set KITH_BIN)`);
  if (!existsSync(join(WEB, 'dist', 'index.html'))) throw new Error('no web/dist: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'kith-e2e-'));
  const port = await freePort();
  const log = [];
  // Set up first (warehouse, owner, sample audiences), then keep a copy of the warehouse for the CLI: the server holds
  // DuckDB's lock on its own file while it runs.
  execFileSync(KITH, ['demo', '--dir', dir, '--port', String(port), '--profiles', String(PROFILES), '--no-serve'], { stdio: 'pipe' });
  copyFileSync(join(dir, 'warehouse.duckdb'), join(dir, 'cli.duckdb'));
  if (existsSync(join(dir, 'warehouse.duckdb.wal'))) copyFileSync(join(dir, 'warehouse.duckdb.wal'), join(dir, 'cli.duckdb.wal'));
  const proc = spawn(KITH, ['demo', '--dir', dir, '--port', String(port), '--profiles', String(PROFILES)], {
    env: { ...process.env, KITH_WEB_DIR: join(WEB, 'dist') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => log.push(String(d)));
  proc.stderr.on('data', (d) => log.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`kith demo exited ${proc.exitCode}:\n${log.join('')}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`kith demo did not start:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const credentials = readFileSync(join(dir, 'credentials.txt'), 'utf8');
  const password = /password:\s*(\S+)/.exec(credentials)[1];
  // The demo sink takes events with this Bearer token only.
  const sinkToken = /sink token:\s*(\S+)/.exec(credentials)[1];
  return {
    url,
    dir,
    port,
    log,
    owner: { email: 'owner@kith.local', password },
    sinkToken,
    /** `kith members` on a copy of the demo's warehouse: the member ids of a definition. */
    members(definition) {
      const file = join(dir, `audience-${Date.now()}.json`);
      writeFileSync(file, JSON.stringify(definition));
      const out = execFileSync(KITH, ['members', '--warehouse', `duckdb:${join(dir, 'cli.duckdb')}`, '--graph', join(dir, 'graph.hcl'), '--audience', file], { encoding: 'utf8' });
      return out.split('\n').filter(Boolean);
    },
    /** Adds a user with the CLI (`kith users add`). */
    addUser(email, role, pw) {
      execFileSync(KITH, ['users', 'add', '--config', join(dir, 'kith.toml'), '--email', email, '--role', role, '--password-stdin'], { input: pw + '\n' });
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            proc.kill('SIGKILL');
            r();
          }, 10_000);
          proc.on('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/**
 * What the browser refused under the service's Content-Security-Policy, on every page of the run: a test file's
 * `after` asserts it stays empty (the built app runs under the policy the service sends, with no inline script).
 */
export const cspViolations = [];

/** The policy of a page's answer, checked where the app is loaded: scripts only from the service, no framing. */
export function assertHardened(response) {
  const csp = response?.headers()['content-security-policy'] ?? '';
  if (!/script-src 'self';/.test(csp) || !/frame-ancestors 'none'/.test(csp)) {
    throw new Error(`the page came without kith's Content-Security-Policy: ${JSON.stringify(csp)}`);
  }
}

export async function newPage(browser, kith) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, baseURL: kith.url, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

/** Signs in through the login screen, starting from `/`. */
export async function login(page, email, password) {
  assertHardened(await page.goto('/'));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Audiences', level: 1 }).waitFor();
}

/** A screenshot of the whole page: the viewport grows to the page's height first, so fixed bars stay in place. */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  const size = page.viewportSize();
  const height = await page.evaluate(() => Math.max(document.documentElement.scrollHeight, document.body.scrollHeight));
  await page.setViewportSize({ width: size.width, height: Math.min(Math.max(height, size.height), 4000) });
  // Toasts come and go with timing; they are left out of the pictures.
  await page.screenshot({ path: join(SHOTS, `${name}.png`), animations: 'disabled', style: '.mantine-Notifications-root { display: none !important; }' });
  await page.setViewportSize(size);
}

/** axe-core on the page: the violations of impact serious or critical. */
export async function seriousViolations(page) {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

/** The API with the browser's session (cookie and CSRF token). */
export async function apiCall(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const me = await (await fetch('/api/v1/me')).json();
      const r = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', 'X-CSRF-Token': me.csrf_token ?? '' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: r.status, json };
    },
    { method, path, body },
  );
}
