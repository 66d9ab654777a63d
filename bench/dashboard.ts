/**
 * The web dashboard at scale:
 *  (a) initial JavaScript of packages/web/dist (every script and modulepreload
 *      index.html references), gzipped with node:zlib, vs the 250 KB target;
 *  (b) headless Chromium against a real control plane (SQLite, 127.0.0.1, port 0):
 *      time from navigation to the dashboard listing all 1,000 projects of an
 *      organization (median of 5 loads), vs ≤ 1 s, beside the same page with
 *      10 projects (a second organization) in the same run.
 * Projects and one environment each are seeded straight into the database;
 * the session comes from POST /api/v1/auth/login.
 * Needs `npm run build -w @devflow/web` first. Prints figures, asserts nothing.
 * Run: node --import tsx bench/dashboard.ts [--loads 5] [--projects 1000]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Insertable } from 'kysely';
import { chromium, type BrowserContext } from 'playwright-core';
import type { EnvironmentsTable, ProjectsTable } from '../packages/server/src/db/schema.js';
import { newId } from '../packages/server/src/lib/ids.js';
import { login, setupOwner, startTestApp, TEST_PASSWORD, type TestApp } from '../packages/server/test/support/app.js';
import { repoRoot } from './lib/processes.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const LOADS = arg('loads', 5);
const PROJECTS = arg('projects', 1000);
const BASELINE = 10;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

// ---------------------------------------------------------------- (a) initial JS

const dist = path.join(repoRoot, 'packages/web/dist');
const indexHtml = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const refs = [...indexHtml.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="([^"]+\.js)"/g)].map((m) => m[1] ?? '');
console.log('\n(a) Initial JavaScript (scripts and modulepreloads of dist/index.html)\n');
let raw = 0;
let gz = 0;
for (const ref of refs) {
  const buf = fs.readFileSync(path.join(dist, ref.replace(/^\//, '')));
  const g = gzipSync(buf, { level: 9 }).length;
  raw += buf.length;
  gz += g;
  console.log(`  ${ref.padEnd(40)} ${(buf.length / 1024).toFixed(1).padStart(8)} KB ${(g / 1024).toFixed(1).padStart(8)} KB gzip`);
}
console.log(`  ${'total'.padEnd(40)} ${(raw / 1024).toFixed(1).padStart(8)} KB ${(gz / 1024).toFixed(1).padStart(8)} KB gzip`);
console.log(`  target ≤ 250 KB gzip: ${gz / 1024 <= 250 ? 'met' : 'NOT met'}`);

// ---------------------------------------------------------------- (b) control plane + data

async function seed(t: TestApp, organizationId: string, count: number, prefix: string): Promise<void> {
  const db = t.app.db.kysely;
  const now = new Date().toISOString();
  const top = await db.selectFrom('environments').select((eb) => eb.fn.max('preview_port').as('max')).executeTakeFirst();
  let port = Math.max(20000, Number(top?.max ?? 0) + 1);
  const projects: Insertable<ProjectsTable>[] = [];
  const environments: Insertable<EnvironmentsTable>[] = [];
  for (let i = 0; i < count; i++) {
    const id = newId('prj');
    const n = String(i + 1).padStart(4, '0');
    projects.push({
      id,
      organization_id: organizationId,
      name: `${prefix} ${n}`,
      slug: `${prefix.toLowerCase()}-${n}`,
      repository_url: `https://git.example.test/acme/${prefix.toLowerCase()}-${n}.git`,
      framework: 'laravel',
      deploy_key_id: null,
      deploy_public_key: null,
      deploy_private_key: null,
      deploy_key_fingerprint: null,
      detection: null,
      settings: JSON.stringify({ defaultBranch: 'main' }),
      created_at: now,
      updated_at: now,
    });
    environments.push({
      id: newId('env'),
      organization_id: organizationId,
      project_id: id,
      name: 'production',
      branch: 'main',
      strategy: 'release' as const,
      requires_approval: 0,
      health_check_path: '/',
      keep_releases: 5,
      settings: '{}',
      current_release_id: null,
      maintenance: 0,
      webhook_secret: null,
      env_version: 0,
      preview_port: port++,
      created_at: now,
      updated_at: now,
    });
  }
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < projects.length; i += 100) {
      await trx.insertInto('projects').values(projects.slice(i, i + 100)).execute();
      await trx.insertInto('environments').values(environments.slice(i, i + 100)).execute();
    }
  });
}

const t = await startTestApp('sqlite', { loginPerMinute: 100_000, env: { DEVFLOW_HOST: '127.0.0.1', DEVFLOW_PORT: '0' } });
const address = await t.app.start();
if (!address) throw new Error('the control plane did not listen');
const base = address.replace('0.0.0.0', '127.0.0.1');
const owner = await setupOwner(t);
const second = await t.request('POST', '/api/v1/organizations', { session: owner, body: { name: 'Baseline' } });
if (second.status !== 201) throw new Error(`organization: ${second.status} ${second.text}`);
const baselineOrg = String(second.json.id);
const s0 = performance.now();
await seed(t, owner.organizationId, PROJECTS, 'Shop');
await seed(t, baselineOrg, BASELINE, 'Small');
console.log(`\n(b) Dashboard in headless Chromium, ${base}`);
console.log(`  seeded ${PROJECTS} + ${BASELINE} projects with one environment each in ${(performance.now() - s0).toFixed(0)} ms`);
const session = await login(t, 'owner@example.test', TEST_PASSWORD);

// ---------------------------------------------------------------- (b) browser

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devflow-bench-chromium-'));
const context: BrowserContext = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1280, height: 900 },
});
await context.addCookies([{ name: 'devflow_session', value: session.cookie, url: base }]);

/**
 * The few browser globals the page functions use (this file is type-checked
 * without the DOM library). Page functions are serialised into the page,
 * so they reach them through `globalThis` and close over nothing.
 */
interface PageGlobals {
  localStorage: { setItem(key: string, value: string): void };
  document: {
    querySelector(selector: string): { dataset: Record<string, string | undefined>; children: { length: number } } | null;
    querySelectorAll(selector: string): { length: number };
  };
}

interface Load {
  ms: number;
  requests: number;
  rows: number;
  withEnvironments: number;
}

/** One navigation to `/` with `organizationId` selected; ms from navigation start until all `count` rows are in the DOM. */
async function load(organizationId: string, count: number): Promise<Load> {
  const page = await context.newPage();
  await page.addInitScript((org) => (globalThis as unknown as PageGlobals).localStorage.setItem('devflow.organization', org), organizationId);
  let requests = 0;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) requests++;
  });
  await page.goto(`${base}/`, { waitUntil: 'commit' });
  // Functions, not strings: the app's CSP (script-src 'self') forbids eval.
  const handle = await page.waitForFunction(
    (n) => {
      const list = (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="dash-projects"]');
      return list && list.dataset.count === String(n) && list.children.length === n ? performance.now() : false;
    },
    count,
    { polling: 'raf', timeout: 60_000 },
  );
  const ms = (await handle.jsonValue()) as number;
  // What the page shows once the visible rows' environment requests settled.
  await page.waitForTimeout(1000);
  const shown = await page.evaluate(() => {
    const doc = (globalThis as unknown as PageGlobals).document;
    return {
      rows: doc.querySelectorAll('[data-testid="dash-projects"] > li').length,
      withEnvironments: doc.querySelectorAll('[data-testid="dash-projects"] > li .dash-envs').length,
    };
  });
  await page.close();
  return { ms, requests, ...shown };
}

const results: Record<string, Load[]> = { big: [], small: [] };
// Interleaved, so both see the same machine load and the same warm caches.
for (let i = 0; i < LOADS; i++) {
  results.big?.push(await load(owner.organizationId, PROJECTS));
  results.small?.push(await load(baselineOrg, BASELINE));
}
await context.close();
await t.close();
fs.rmSync(userDataDir, { recursive: true, force: true });

console.log(`\n  ${LOADS} loads each (the first one cold: empty HTTP cache, no service worker), ms from navigation start to all project rows in the DOM\n`);
console.log(`  ${'projects'.padEnd(10)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}  ${'loads'.padEnd(40)} rows / with environments / API requests (last load)`);
for (const [label, n, list] of [
  [String(PROJECTS), PROJECTS, results.big ?? []],
  [String(BASELINE), BASELINE, results.small ?? []],
] as const) {
  const ms = list.map((l) => l.ms);
  const last = list.at(-1);
  console.log(
    `  ${label.padEnd(10)} ${median(ms).toFixed(0).padStart(8)} ${Math.min(...ms).toFixed(0).padStart(8)} ${Math.max(...ms).toFixed(0).padStart(8)}  ${ms.map((x) => x.toFixed(0)).join(', ').padEnd(40)} ${last?.rows ?? 0} of ${n} / ${last?.withEnvironments ?? 0} / ${last?.requests ?? 0}`,
  );
}
const m = median((results.big ?? []).map((l) => l.ms));
console.log(`\n  ${PROJECTS} projects: median ${m.toFixed(0)} ms — target ≤ 1000 ms: ${m <= 1000 ? 'met' : 'NOT met'}`);
console.log(
  '  Rendered: every project as a row (name linking to it), in pages of 500 from GET /projects; environments,\n' +
    '  what is live and the last deployment load only for rows near the viewport (3 requests per environment at most).',
);
