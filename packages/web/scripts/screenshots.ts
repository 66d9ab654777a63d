import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startStub, type StubState } from './stub-api.js';

/**
 * Screenshots of the built UI in headless Chromium, light and dark, desktop
 * and phone width, against the stub API. Also fails on console errors and
 * on unsafe requests sent without the CSRF token.
 *   npm run build -w @devflow/web && npm run screenshots -w @devflow/web
 * SHOTS_DIR (default /tmp/devflow-shots), CHROMIUM (default /usr/bin/chromium), PHONE_WIDTH (375).
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist');
const out = process.env.SHOTS_DIR ?? '/tmp/devflow-shots';
const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: Number(process.env.PHONE_WIDTH ?? 375), height: 812 } } as const;
const THEMES = ['light', 'dark'] as const;
const PASSWORD = 'correct horse battery';

const overflowing: string[] = [];

async function shot(page: Page, name: string): Promise<void> {
  // Nothing may scroll sideways, down to 360 px wide.
  if (Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) > 0) overflowing.push(name);
  await page.waitForLoadState('networkidle', { timeout: 3000 }).catch(() => undefined);
  // Full-page shots of a scrolled page would draw the sticky top bar mid-page.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
  console.log(`  ${name}.png`);
  // Long pages also in screen-sized slices, legible when viewed one by one.
  const viewport = page.viewportSize();
  const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
  if (!viewport || height <= viewport.height * 1.5) return;
  for (let y = 0, i = 1; y < height; y += viewport.height, i++) {
    const clip = { x: 0, y, width: viewport.width, height: Math.min(viewport.height, height - y) };
    await page.screenshot({ path: path.join(out, `${name}.${i}.png`), fullPage: true, clip });
  }
}

async function scenario(browser: Browser, base: string, state: StubState, theme: (typeof THEMES)[number], vp: keyof typeof VIEWPORTS) {
  const context = await browser.newContext({ viewport: VIEWPORTS[vp], colorScheme: theme, serviceWorkers: 'block' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    // Chromium logs every error answer (the 401 of the signed-out /me probe, the 400s provoked here).
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  const tag = `${theme}-${vp}`;

  state.setupRequired = false;
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await shot(page, `login-${tag}`);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await shot(page, `login-focus-${tag}`);

  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Password').fill('wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  await shot(page, `login-error-${tag}`);

  await page.getByLabel('Email').fill('totp@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
  await page.getByLabel('Authentication code').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByText('The code is wrong').waitFor();
  await shot(page, `login-totp-${tag}`);

  state.setupRequired = true;
  await page.goto(`${base}/setup`);
  await page.getByRole('heading', { name: 'Set up DevFlow Pro' }).waitFor();
  await shot(page, `setup-${tag}`);
  await page.getByLabel('Your name').fill('Ada Lovelace');
  await page.getByLabel('Email').fill('ada@example.com');
  await page.getByLabel('Password').fill('short');
  await page.getByLabel('Organization name').fill('Acme Hosting');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText('Use at least 12 characters.').waitFor();
  await shot(page, `setup-error-${tag}`);
  state.setupRequired = false;

  // Signed in: sign in with the code, then visit each page.
  await page.goto(`${base}/login?next=%2Faccount`);
  await page.getByLabel('Email').fill('totp@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Authentication code').fill('123456');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  await page.getByLabel('Name').fill('Laptop CLI');
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.getByText('it will not be shown again').waitFor();
  await shot(page, `account-${tag}`);

  for (const [url, heading, name] of [
    ['/', 'Dashboard', 'dashboard'],
    ['/settings/members', 'Settings', 'members'],
    ['/settings/audit', 'Settings', 'audit'],
    ['/servers', 'Servers', 'servers'],
    ['/servers/srv_1', 'web-1', 'server'],
    ['/servers/srv_2', 'db-1', 'server-unreachable'],
    ['/servers/new', 'Add a server', 'add-server'],
  ] as const) {
    await page.goto(`${base}${url}`);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    if (name === 'audit') {
      await page.locator('.audit summary').nth(3).click();
    }
    if (name === 'server') {
      await page.locator('.chart__plot').first().waitFor();
      await page.getByRole('button', { name: 'Show data table' }).first().click();
    }
    if (name === 'add-server') {
      await page.getByLabel('production').check();
    }
    await shot(page, `${name}-${tag}`);
  }
  if (vp === 'phone') {
    await page.getByRole('button', { name: 'Menu' }).click();
    await shot(page, `nav-open-${tag}`);
  }

  await context.close();
  return errors;
}

async function main() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error('Build first: npm run build -w @devflow/web');
  fs.mkdirSync(out, { recursive: true });
  const state: StubState = { csrfMissing: [], setupRequired: false };
  const stub = await startStub(dist, state);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const problems: string[] = [];
  try {
    for (const theme of THEMES) {
      for (const vp of Object.keys(VIEWPORTS) as (keyof typeof VIEWPORTS)[]) {
        console.log(`${theme} ${vp}`);
        problems.push(...(await scenario(browser, stub.url, state, theme, vp)));
      }
    }
  } finally {
    await browser.close();
    await stub.close();
  }
  if (overflowing.length) problems.push(`horizontal overflow: ${overflowing.join(', ')}`);
  if (state.csrfMissing.length) problems.push(`unsafe requests without CSRF token: ${state.csrfMissing.join(', ')}`);
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exitCode = 1;
  } else {
    console.log(`screenshots in ${out}`);
  }
}

await main();
