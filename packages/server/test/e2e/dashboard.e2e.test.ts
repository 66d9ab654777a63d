/**
 * The dashboard end to end: the built web UI served by a real control plane,
 * driven in a real Chromium, adding a real (lab) server over SSH.
 * Needs `npm run build -w @devflow/web` first (`npm test` builds).
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember, TEST_PASSWORD, startTestApp, type Session, type TestApp } from '../support/app.js';
import { ensureLab, repoRoot, startServer, type LabServer } from '../support/lab.js';
import { hostFingerprints, loopbackLookup } from '../servers/lab-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** In CI the suite must run (scripts/chromium.sh installs Chromium); elsewhere it may be skipped without one. */
const runs = fs.existsSync(CHROMIUM) || Boolean(process.env.CI);
const DIST_INDEX = path.join(repoRoot(), 'packages', 'web', 'dist', 'index.html');
const SHOTS = path.join(repoRoot(), 'test-results', 'screenshots');
const WIDTHS = [1280, 375] as const;

const OWNER = { name: 'Ada Lovelace', email: 'ada@example.test', organization: 'Acme Hosting' };
const VIEWER_EMAIL = 'vera@example.test';

/** A throwaway OpenSSH public key nobody holds the private half of: the lab server needs one to start. */
function throwawayPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(String(publicKey.export({ format: 'jwk' }).x), 'base64url');
  const field = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length, 0);
    return Buffer.concat([len, b]);
  };
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]).toString('base64')} placeholder`;
}

/** Waits until the element's text contains `text` (bounded). */
async function expectText(locator: Locator, text: string, timeout = 10_000): Promise<void> {
  await expect.poll(async () => (await locator.textContent()) ?? '', { timeout }).toContain(text);
}

/** The code of the authenticator for the time step `offset` steps from now (the server accepts ±1). */
function totpCode(secret: string, offset = 0): string {
  const totp = new TOTP({ algorithm: 'SHA1', digits: 6, period: 30, secret: Secret.fromBase32(secret) });
  return totp.generate({ timestamp: Date.now() + offset * 30_000 });
}

describe.skipIf(!runs)('dashboard in Chromium against a real control plane and a lab server', () => {
  let t: TestApp;
  let base: string;
  let lab: LabServer;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let serverId = '';
  const problems: string[] = [];
  const overflowing: string[] = [];

  /** Screenshots of the current page at each width (full page), noting any sideways scrolling. */
  async function shot(name: string): Promise<void> {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 375 ? 812 : 800 });
      await page.waitForTimeout(150);
      if (Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) > 0) overflowing.push(`${name}@${width}`);
      await page.evaluate('window.scrollTo(0, 0)');
      await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true, timeout: 15_000 });
      // Long pages also in screen-sized slices, legible one by one.
      const viewport = page.viewportSize() ?? { width, height: 800 };
      const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
      for (let y = 0, i = 1; height > viewport.height * 1.5 && y < height; y += viewport.height, i++) {
        const clip = { x: 0, y, width: viewport.width, height: Math.min(viewport.height, height - y) };
        await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.${i}.png`), fullPage: true, clip, timeout: 15_000 });
      }
    }
    await page.setViewportSize({ width: WIDTHS[0], height: 800 });
  }

  async function signOut(): Promise<void> {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  }

  async function signIn(email: string, password = TEST_PASSWORD): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** The browser's session as the API helpers take it: its cookie and CSRF token. */
  async function browserSession(): Promise<Session & { organizationId: string }> {
    const cookie = (await context.cookies(base)).find((c) => c.name === 'devflow_session')?.value;
    if (!cookie) throw new Error('the browser holds no session cookie');
    const me = await fetch(`${base}/api/v1/me`, { headers: { cookie: `devflow_session=${cookie}` }, signal: AbortSignal.timeout(10_000) });
    const body = (await me.json()) as { csrfToken: string; user: { id: string }; memberships: { organizationId: string }[] };
    return { cookie, csrfToken: body.csrfToken, userId: body.user.id, organizationId: body.memberships[0]?.organizationId ?? '' };
  }

  beforeAll(async () => {
    if (!fs.existsSync(DIST_INDEX)) {
      throw new Error(`The web UI is not built (${DIST_INDEX} is missing). Run \`npm run build -w @devflow/web\` first; \`npm test\` builds it.`);
    }
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/chromium.sh (CI must run this suite).`);
    fs.mkdirSync(SHOTS, { recursive: true });

    t = await startTestApp('sqlite', { servers: { ssh: { lookup: loopbackLookup, connectTimeoutMs: 5_000 } } });
    t.app.worker.start(); // provisioning runs are jobs
    const http = t.app.http;
    if (!http) throw new Error('serve role has no HTTP app');
    base = (await http.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');

    await ensureLab();
    lab = await startServer({ authorizedKey: throwawayPublicKey() });

    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-e2e-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: { width: WIDTHS[0], height: 800 },
      serviceWorkers: 'block',
      timeout: 30_000,
    });
    context.setDefaultTimeout(15_000);
    context.setDefaultNavigationTimeout(15_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
    page.on('console', (m) => {
      // Chromium logs every error answer (the signed-out /me probe, the refused connection check): those are expected.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
  });

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    await t?.app.worker.stop();
    await lab?.stop();
    await t?.close();
  });

  it('sets up, enrols two-factor sign-in and signs in with a TOTP code', async () => {
    await page.goto(`${base}/`);
    // A fresh installation sends the visitor from the login page to the setup page.
    await page.getByRole('heading', { name: 'Set up DevFlow Pro' }).waitFor();
    await shot('setup');
    await page.getByLabel('Your name').fill(OWNER.name);
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByLabel('Organization name').fill(OWNER.organization);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByText('No servers yet').waitFor();
    await shot('dashboard-empty');

    await signOut();
    await shot('login');
    await signIn(OWNER.email);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();

    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const secret = (await page.locator('.totp-enrol__secret code').textContent({ timeout: 10_000 }))?.replace(/\s+/g, '') ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await shot('account-2fa-enrol');
    await page.getByLabel('Enter the 6-digit code the app shows').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('list', { name: 'Recovery codes' }).waitFor();
    await page.getByRole('button', { name: 'I have saved them' }).click();

    await signOut();
    await signIn(OWNER.email);
    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    // The enrolment used this step's code, and a code works once: sign in with the next step's.
    await page.getByLabel('Authentication code').fill(totpCode(secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  }, 90_000);

  it('adds the lab server: generated key, refused login, key installed, fingerprint confirmed, facts', async () => {
    await page.getByRole('link', { name: 'Servers' }).first().click();
    await page.getByRole('heading', { name: 'Servers', level: 1 }).waitFor();
    await page.getByText('No servers yet').waitFor();
    await shot('servers-empty');
    await page.getByRole('link', { name: 'Add a server' }).click();
    await page.getByRole('heading', { name: 'Add a server', level: 1 }).waitFor();

    // Step 1: a fresh organization has no key: generating one is preselected.
    await page.getByLabel('Generate a new key').check();
    await page.getByLabel('Key name').fill('lab key');
    await page.getByRole('button', { name: 'Generate key' }).click();
    const publicKey = ((await page.getByTestId('public-key').textContent()) ?? '').trim();
    expect(publicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+ \S+$/);
    await expect.poll(() => page.getByText('>> ~/.ssh/authorized_keys').count()).toBeGreaterThan(0);
    await shot('add-server-key');
    await page.getByRole('button', { name: 'Continue' }).click();

    // Step 2: where the server is.
    await page.getByRole('heading', { name: 'Server details' }).waitFor();
    await page.getByLabel('Name').fill('web-1');
    await page.getByLabel('Host').fill(lab.host);
    await page.getByLabel('SSH port').fill(String(lab.port));
    expect(await page.getByLabel('User').inputValue()).toBe('root');
    await page.getByRole('button', { name: 'Add server' }).click();

    // Step 3, before the key is installed: the server refuses it, and the page says what to do.
    await page.getByRole('heading', { name: 'Connect and check' }).waitFor();
    await page.getByRole('button', { name: 'Connect and check' }).click();
    const problem = page.getByRole('alert');
    await problem.getByText('What to do next').waitFor({ timeout: 30_000 });
    await expectText(problem, 'authorized_keys');
    await shot('add-server-auth-failed');

    // The user runs the command on the server; here the test appends the key itself.
    const installed = await lab.exec(['sh', '-c', 'printf "%s\\n" "$1" >> /root/.ssh/authorized_keys', 'install-key', publicKey]);
    expect(installed.code, installed.stderr).toBe(0);
    await page.getByRole('button', { name: 'Try again' }).click();

    // Trust on first use: the fingerprint the server presented, to compare with the server's own.
    const fingerprint = ((await page.getByTestId('host-key-fingerprint').textContent({ timeout: 30_000 })) ?? '').trim();
    expect(await hostFingerprints(lab)).toContain(fingerprint);
    await shot('add-server-fingerprint');
    await page.getByRole('button', { name: 'The fingerprints match: trust this server' }).click();

    await page.getByRole('heading', { name: 'Server added' }).waitFor();
    const facts = page.locator('.facts');
    await expectText(facts, 'Debian GNU/Linux 12 (bookworm)');
    await expectText(facts, 'nginx');
    await expectText(facts, 'PHP 8.2');
    await shot('add-server-done');

    await page.getByRole('link', { name: 'Open web-1' }).click();
    await page.getByRole('heading', { name: 'web-1', level: 1 }).waitFor();
    serverId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
    expect(serverId).toMatch(/^srv/);
    await expectText(page.getByTestId('server-status'), 'Online');
    await expectText(page.getByTestId('pinned-fingerprint'), fingerprint);
  }, 120_000);

  it('shows metrics, provisions with a live log, and summarises servers on the dashboard', async () => {
    // Three samples a second apart (the scheduler would take one every 30 s).
    const row = await t.app.servers.servers.get(serverId);
    for (let i = 0; i < 3; i++) {
      await t.app.servers.metrics.sample(row);
      await new Promise((r) => setTimeout(r, 1_100));
    }
    await page.reload();
    await page.getByRole('heading', { name: 'web-1', level: 1 }).waitFor();
    // The chart is an image named by its title and described by a summary of the values.
    const cpu = page.getByRole('img', { name: /^CPU/ });
    await cpu.waitFor();
    const descId = ((await cpu.getAttribute('aria-labelledby')) ?? '').split(' ')[1] ?? '';
    await expectText(page.locator(`[id="${descId}"]`), 'latest');
    const memory = page.locator('figure.chart', { hasText: 'Memory' });
    await memory.getByRole('button', { name: 'Show data table' }).click();
    await memory.getByRole('table').waitFor();
    expect(await memory.getByRole('table').locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    await page.getByRole('button', { name: 'last 24 hours' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'last 24 hours' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'last hour' }).click();
    await page.locator('figure.chart').first().waitFor();

    // Provisioning without the steps that download packages (the lab has no package mirror by default).
    await page.getByText(/^Steps \(/).click();
    for (const step of ['composer', 'restic', 'unattended-upgrades']) await page.locator(`input[name="steps"][value="${step}"]`).uncheck();
    // While the run goes, its log follows the event stream ("Live"), not polling.
    const sawLive = page.locator('.log__head .live--open').waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Start provisioning' }).click();
    await sawLive;
    const runBox = page.getByTestId('provision-run');
    await runBox.locator('.badge--run-succeeded').waitFor({ timeout: 120_000 });
    const stepStatus = (name: string) => runBox.locator('.run-steps__item', { has: page.locator('code', { hasText: new RegExp(`^${name}$`) }) }).locator('.badge');
    await expectText(stepStatus('layout'), 'changed');
    await expectText(stepStatus('base-packages'), 'unchanged');
    await expectText(stepStatus('docker'), 'skipped');
    await expectText(page.getByTestId('provision-log'), '==> layout');
    await expectText(page.getByTestId('provision-log'), '<== layout: changed');
    await shot('server-detail');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('server-detail-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // Without the event stream the page polls the logs endpoint: a second run (only layout, now in place) still shows up.
    await page.route('**/api/v1/events*', (route) => route.abort());
    await page.reload();
    await page.getByRole('heading', { name: 'web-1', level: 1 }).waitFor();
    await page.getByText(/^Steps \(/).click();
    for (const step of ['base-packages', 'nginx', 'php-fpm', 'composer', 'docker', 'restic', 'ufw', 'fail2ban', 'unattended-upgrades']) {
      await page.locator(`input[name="steps"][value="${step}"]`).uncheck();
    }
    await page.getByRole('button', { name: 'Provision again' }).click();
    await page.getByText('Updating every 2 seconds').waitFor();
    await runBox.locator('.badge--run-succeeded').waitFor({ timeout: 60_000 });
    await expectText(stepStatus('layout'), 'unchanged');
    expect(await runBox.locator('.run-steps__item').count()).toBe(1);
    await expectText(page.getByTestId('provision-log'), '<== layout: unchanged');
    await page.unroute('**/api/v1/events*');

    await page.getByRole('link', { name: 'Dashboard' }).first().click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    const summary = page.getByRole('region', { name: 'Servers' });
    await summary.getByRole('link', { name: 'web-1' }).waitFor();
    await expectText(summary, 'Online');
    await expectText(summary.locator('.spark').first(), '%');
    const activity = page.getByRole('region', { name: 'Recent activity' });
    await expectText(activity, 'server.provision');
    await shot('dashboard');

    await page.getByRole('link', { name: 'Servers' }).first().click();
    await page.getByRole('link', { name: 'web-1' }).waitFor();
    await expectText(page.locator('.spark__value').first(), '%');
    await shot('servers');
  }, 180_000);

  it('shows a viewer no server controls, and the API refuses them anyway', async () => {
    const owner = await browserSession();
    await addMember(t, owner, VIEWER_EMAIL, 'viewer');
    await signOut();
    await signIn(VIEWER_EMAIL);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByRole('region', { name: 'Servers' }).waitFor();
    expect(await page.getByRole('region', { name: 'Recent activity' }).count()).toBe(0);

    await page.getByRole('link', { name: 'Servers' }).first().click();
    await page.getByRole('link', { name: 'web-1' }).click();
    await page.getByRole('heading', { name: 'web-1', level: 1 }).waitFor();
    await expectText(page.getByTestId('server-status'), 'Online');
    await page.getByTestId('provision-run').waitFor();
    for (const name of ['Check connection', 'Start provisioning', 'Provision again', 'Remove server', 'Save changes']) {
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    }
    await shot('server-detail-viewer');
    await page.goto(`${base}/servers`);
    await page.getByRole('link', { name: 'web-1' }).waitFor();
    expect(await page.getByRole('link', { name: 'Add a server' }).count()).toBe(0);
    await page.goto(`${base}/servers/new`);
    await page.getByText('Only owners and admins').waitFor();
    expect(await page.getByRole('button', { name: 'Generate key' }).count()).toBe(0);

    // Hidden is not the protection: the API refuses the viewer's session too.
    const viewer = await browserSession();
    const headers = { cookie: `devflow_session=${viewer.cookie}`, 'x-csrf-token': viewer.csrfToken, 'content-type': 'application/json' };
    const validate = await fetch(`${base}/api/v1/servers/${serverId}/validate`, { method: 'POST', headers, body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(validate.status, await validate.text()).toBe(403);
    const provision = await fetch(`${base}/api/v1/servers/${serverId}/provision`, { method: 'POST', headers, body: '{}', signal: AbortSignal.timeout(10_000) });
    expect(provision.status).toBe(403);
    const create = await fetch(`${base}/api/v1/servers`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ organizationId: viewer.organizationId, name: 'sneaky', host: lab.host, port: lab.port, sshKeyId: 'key_x' }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(create.status).toBe(403);
  }, 90_000);

  it('shows the interactive API reference under the strict CSP', async () => {
    await page.goto(`${base}/api/reference/`);
    // Swagger UI renders the operations of the OpenAPI document: our scripts ran, the CSP let them.
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/audit-events' }).first().waitFor({ timeout: 20_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(50);
    await page.screenshot({ path: path.join(SHOTS, 'api-reference.png'), timeout: 15_000 });
  });

  it('logged no page errors and never scrolled sideways', () => {
    expect(problems).toEqual([]);
    expect(overflowing).toEqual([]);
  });
});
