/**
 * Deployments end to end: the built web UI, a real control plane with its
 * worker, and a lab server. Creates a project with the wizard, deploys with
 * the live log, deploys again and rolls back from the environment page.
 * Needs `npm run build -w @devflow/web` first (`npm test` builds).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laravelTree } from '../fixtures/deploy-repos.js';
import { addMember, TEST_PASSWORD } from '../support/app.js';
import { ensureLab, repoRoot } from '../support/lab.js';
import { startDeployLab, type DeployLab } from '../deployments/support/deploy-lab.js';
import { FixtureRepo } from '../deployments/support/git-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** In CI the suite must run (scripts/chromium.sh installs Chromium); elsewhere it may be skipped without one. */
const runs = fs.existsSync(CHROMIUM) || Boolean(process.env.CI);
const DIST_INDEX = path.join(repoRoot(), 'packages', 'web', 'dist', 'index.html');
const SHOTS = path.join(repoRoot(), 'test-results', 'screenshots');
const OWNER_EMAIL = 'owner@example.test';
const VIEWER_EMAIL = 'viola@example.test';

async function expectText(locator: Locator, text: string, timeout = 10_000): Promise<void> {
  await expect.poll(async () => (await locator.textContent()) ?? '', { timeout }).toContain(text);
}

describe.skipIf(!runs)('deployments in Chromium against a real control plane and a lab server', { timeout: 300_000 }, () => {
  let L: DeployLab;
  let repo: FixtureRepo;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let environmentUrl = '';
  const problems: string[] = [];

  async function shot(name: string): Promise<void> {
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(SHOTS, `deploy-${name}.png`), fullPage: true, timeout: 15_000 });
  }

  async function signIn(email: string): Promise<void> {
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(TEST_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  }

  /** Waits on the deployment page until the status badge says `status`, and the log stream ended. */
  async function waitForOutcome(status: string): Promise<void> {
    await page.locator(`[data-testid="deployment-status"] [data-status="${status}"]`).waitFor({ timeout: 150_000 });
    await page.getByTestId('log-state').waitFor({ state: 'detached', timeout: 30_000 });
  }

  beforeAll(async () => {
    if (!fs.existsSync(DIST_INDEX)) {
      throw new Error(`The web UI is not built (${DIST_INDEX} is missing). Run \`npm run build -w @devflow/web\` first; \`npm test\` builds it.`);
    }
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/chromium.sh (CI must run this suite).`);
    fs.mkdirSync(SHOTS, { recursive: true });
    await ensureLab();
    L = await startDeployLab(); // worker started: deployments are jobs
    const http = L.t.app.http;
    if (!http) throw new Error('serve role has no HTTP app');
    base = (await http.listen({ host: '127.0.0.1', port: 0 })).replace('localhost', '127.0.0.1');
    repo = FixtureRepo.create('e2e-shop', laravelTree('v1'), 'v1: first release');
    await repo.copyTo(L.vps);

    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-e2e-deploy-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: { width: 1280, height: 800 },
      serviceWorkers: 'block',
      timeout: 30_000,
    });
    context.setDefaultTimeout(15_000);
    context.setDefaultNavigationTimeout(15_000);
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    await L?.close();
  });

  it('creates a project with the wizard and deploys it with a live log', async () => {
    await signIn(OWNER_EMAIL);
    await page.getByRole('link', { name: 'Projects' }).first().click();
    await page.getByText('No projects yet').waitFor();
    await page.getByRole('link', { name: 'New project' }).click();
    await page.getByRole('heading', { name: 'New project', level: 1 }).waitFor();

    await page.getByLabel('Repository URL', { exact: true }).fill(repo.url);
    await page.getByLabel('Branch', { exact: true }).fill('main');
    await page.getByRole('button', { name: 'Detect framework' }).click();
    const detection = page.getByTestId('detection');
    await expectText(detection, 'Laravel', 30_000);
    expect(await page.getByLabel('Framework', { exact: true }).inputValue()).toBe('laravel');
    await page.getByLabel('Project name').fill('Shop');
    await shot('wizard-detected');
    await page.getByRole('button', { name: 'Create project' }).click();

    await page.getByRole('heading', { name: 'First environment' }).waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('production');
    await page.getByRole('checkbox', { name: /web-1/ }).check();
    await shot('wizard-environment');
    await page.getByRole('button', { name: 'Create environment' }).click();

    await page.getByRole('heading', { name: 'Environment variables' }).waitFor();
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Key 1').fill('APP_NAME');
    await page.getByLabel('Value of APP_NAME').fill('shop-v1');
    expect(await page.getByLabel('Value of APP_NAME').getAttribute('type')).toBe('password');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    await page.getByRole('heading', { name: 'Ready to deploy' }).waitFor();
    await page.getByRole('button', { name: 'Deploy now' }).click();
    await page.waitForURL(/\/deployments\//);
    // The log streams while the deployment runs.
    await page.locator('[data-testid="log-state"].live--open').waitFor({ timeout: 30_000 }).catch(() => undefined);
    await waitForOutcome('succeeded');
    const log = page.getByTestId('deployment-log');
    await expect.poll(() => log.locator('.log__line').count()).toBeGreaterThan(3);
    await expectText(page.getByTestId('deployment-steps'), 'switch');
    expect(await page.locator('[data-testid="deployment-steps"] [data-status="failed"]').count()).toBe(0);
    // The search box filters lines.
    const all = await log.locator('.log__line').count();
    await page.getByLabel('Filter log lines').fill('switch');
    await expect.poll(() => log.locator('.log__line').count()).toBeLessThan(all);
    await shot('deployment-succeeded');
    await page.getByLabel('Filter log lines').fill('');

    await page.locator('.breadcrumb a').last().click();
    await page.getByTestId('current-release').waitFor();
    environmentUrl = page.url();
    await expectText(page.getByTestId('current-release'), repo.head().slice(0, 8));
  });

  it('deploys again and rolls back to the first release', async () => {
    const first = repo.head();
    repo.commit(laravelTree('v2'), 'v2: second release');
    await repo.copyTo(L.vps);
    await page.goto(environmentUrl);
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.waitForURL(/\/deployments\//);
    await waitForOutcome('succeeded');

    await page.goto(environmentUrl);
    await expectText(page.getByTestId('current-release'), repo.head().slice(0, 8));
    await page.getByRole('button', { name: `Roll back to ${first.slice(0, 8)}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Roll back?' });
    await dialog.waitFor();
    await shot('rollback-confirm');
    await dialog.getByRole('button', { name: 'Roll back', exact: true }).click();
    await page.waitForURL(/\/deployments\//);
    await page.getByRole('heading', { name: /^Rollback/, level: 1 }).waitFor();
    await waitForOutcome('succeeded');
    await shot('rollback-succeeded');

    await page.goto(environmentUrl);
    await expectText(page.getByTestId('current-release'), first.slice(0, 8));
    await shot('environment');

    await page.goto(`${base}/`);
    const projects = page.getByRole('region', { name: 'Projects' });
    await expectText(projects, 'production');
    await projects.locator('[data-status="succeeded"]').first().waitFor();
    await shot('dashboard');
  });

  it('edits the settings, holds a deployment for approval, rejects it and rotates the webhook secret', async () => {
    const envId = decodeURIComponent(environmentUrl.split('/environments/')[1] ?? '');
    const api = async (method: string, url: string) => {
      const res = await L.t.request(method, url, { session: L.owner });
      expect(res.status, res.text).toBe(200);
      return res.json as Record<string, unknown>;
    };
    await page.goto(environmentUrl);
    await page.getByRole('button', { name: 'Edit settings' }).click();
    const form = page.getByRole('form', { name: 'Environment settings' });
    expect(await form.getByLabel('Name', { exact: true }).getAttribute('readonly')).not.toBeNull();
    await form.getByLabel('Releases kept').fill('3');
    await form.getByRole('checkbox', { name: /Requires approval/ }).check();
    await shot('environment-settings');
    await form.getByRole('button', { name: 'Save settings' }).click();
    await expectText(page.getByTestId('environment-settings'), 'Required');
    expect(await api('GET', `/api/v1/environments/${envId}`)).toMatchObject({ requiresApproval: true, keepReleases: 3 });

    // A deployment now waits for an admin; the owner rejects it from the environment page.
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.waitForURL(/\/deployments\//);
    const deploymentId = decodeURIComponent(page.url().split('/deployments/')[1] ?? '');
    await page.locator('[data-testid="deployment-status"] [data-status="awaiting_approval"]').waitFor();
    await page.goto(environmentUrl);
    await page.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(async () => (await api('GET', `/api/v1/deployments/${deploymentId}`)).status).toBe('cancelled');
    expect((await api('GET', `/api/v1/deployments/${deploymentId}`)).error).toMatch(/^Rejected by /);
    await expect.poll(() => page.getByRole('button', { name: 'Reject' }).count()).toBe(0);

    // Rotating the secret asks first, then shows the new one (and the API agrees).
    const before = (await api('GET', `/api/v1/environments/${envId}/webhook`)).secret;
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the webhook secret?' });
    await dialog.getByRole('button', { name: 'Rotate', exact: true }).click();
    await expect.poll(async () => (await api('GET', `/api/v1/environments/${envId}/webhook`)).secret).not.toBe(before);
    const after = (await api('GET', `/api/v1/environments/${envId}/webhook`)).secret as string;
    const hooks = page.getByRole('region', { name: 'Deploy on push' });
    await hooks.getByRole('button', { name: 'Reveal' }).click();
    await expectText(hooks, after);
    await shot('webhook-rotated');

    // Back to no approval, so the viewer test sees the usual page.
    await page.getByRole('button', { name: 'Edit settings' }).click();
    await page.getByRole('form', { name: 'Environment settings' }).getByRole('checkbox', { name: /Requires approval/ }).uncheck();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expectText(page.getByTestId('environment-settings'), 'Not required');
  });

  it('shows a viewer no deploy, rollback or edit controls', async () => {
    await addMember(L.t, L.owner, VIEWER_EMAIL, 'viewer');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(VIEWER_EMAIL);
    await page.goto(environmentUrl);
    await page.getByTestId('releases').waitFor();
    for (const name of [/^Deploy$/, /^Roll back/, /^Turn (on|off)$/, /^Save variables$/, /^Add variable$/, /^Edit settings$/, /^Delete environment$/, /^Rotate secret$/]) {
      expect(await page.getByRole('button', { name }).count(), String(name)).toBe(0);
    }
    await page.getByTestId('variable-keys').waitFor();
    await shot('environment-viewer');
    await page.locator('.breadcrumb a').last().click();
    await page.getByRole('heading', { name: 'Environments' }).waitFor();
    expect(await page.getByRole('button', { name: /^Delete project/ }).count()).toBe(0);
  });

  it('clones a project with its environments, and deletes one only after its name is typed', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await signIn(OWNER_EMAIL);
    await page.goto(environmentUrl);
    await page.locator('.breadcrumb a').last().click();
    const shopUrl = page.url();
    await page.getByRole('button', { name: 'Clone project…' }).click();
    await page.getByLabel('Name of the copy').fill('Shop EU');
    await page.getByRole('button', { name: 'Clone', exact: true }).click();
    await page.getByRole('heading', { name: 'Shop EU', level: 1 }).waitFor();
    expect(page.url()).not.toBe(shopUrl);
    await page.getByRole('link', { name: 'production' }).waitFor();
    await shot('project-cloned');

    await page.goto(shopUrl);
    await page.getByRole('heading', { name: 'Shop', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Delete project…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Shop?' });
    const confirm = dialog.getByRole('button', { name: 'Delete project', exact: true });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type Shop to confirm').fill('Sho');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type Shop to confirm').fill('Shop');
    await confirm.click();
    await page.waitForURL(/\/projects$/);
    const list = await L.t.request('GET', `/api/v1/projects?organizationId=${L.owner.organizationId}`, { session: L.owner });
    expect((list.json as { data: { name: string }[] }).data.map((p) => p.name)).toEqual(['Shop EU']);
  });

  it('logged no page errors', () => {
    expect(problems).toEqual([]);
  });
});
